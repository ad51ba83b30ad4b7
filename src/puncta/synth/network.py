"""The clinic network: clinics, locations, rooms, staff of every role, licensed devices,
cartridge lots and consent documents. Small numbers: created once per clinic."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from faker import Faker

from puncta.accounts.models import Membership, User
from puncta.accounts.roles import Role
from puncta.audit.models import Action
from puncta.clinics.models import Clinic, Location, Room
from puncta.consent.models import ConsentTemplate
from puncta.consent.services import templates_ensure
from puncta.devices.models import CartridgeLot, CartridgeProduct, Device, Licence

from .auditlog import Who
from .base import ClinicNet, Context, SeedError, Staff, at_time, historical_timestamps

# (jurisdiction, time zone, share of French-speaking patients, weight)
REGIONS = [
    ("CA-ON", "America/Toronto", 0.12, 40),
    ("CA-QC", "America/Montreal", 0.80, 25),
    ("CA-BC", "America/Vancouver", 0.04, 15),
    ("CA-AB", "America/Edmonton", 0.03, 10),
    ("CA-NB", "America/Moncton", 0.33, 5),
    ("CA-NS", "America/Halifax", 0.04, 5),
]
NAMES_EN = ["Skin Clinic", "Dermal Studio", "Aesthetics", "Skin Institute", "MedSpa"]
NAMES_FR = ["Clinique Lumière", "Clinique Éclat", "Institut Derma", "Clinique Peau Neuve"]
REG_BODIES = {
    "physician": ("CPS", "College of Physicians and Surgeons"),
    "nurse_practitioner": ("NP", "College of Nurses"),
    "registered_nurse": ("RN", "College of Nurses"),
}
# Invented pen models and licences (numbers in the 99xxx range, as the demo data):
# synthetic, not Health Canada records.
PENS = [
    ("Aurora", "Aurora Pen A6", "2.50", [12, 16, 36], 6000, 18000, 99501, 2020),
    ("Boreal", "Boreal Precision", "2.00", [12, 14], 5000, 14000, 99502, 2021),
    ("Cascade", "Cascade MN-3", "3.00", [12, 24, 36], 7000, 16000, 99503, 2019),
]


def staff_plan(patients: int) -> list[tuple[str, int]]:
    """Staff per role, growing with the clinic (a busy clinic has more of each)."""
    scale = max(1, patients // 15000)
    return [
        (Role.PHYSICIAN, 1 + scale), (Role.NURSE_PRACTITIONER, scale),
        (Role.REGISTERED_NURSE, 1 + scale), (Role.MEDICAL_AESTHETICIAN, 1 + scale),
        (Role.FRONT_DESK, 1 + scale), (Role.CLINIC_ADMIN, 1),
    ]


def split_patients(total: int, clinics: int, rng: random.Random) -> list[int]:
    """Uneven clinic sizes (weights 0.5-1.5), summing exactly to ``total``."""
    weights = [rng.uniform(0.5, 1.5) for _ in range(clinics)]
    shares = [int(total * w / sum(weights)) for w in weights]
    shares[0] += total - sum(shares)
    return shares


def build_network(ctx: Context) -> None:
    cfg = ctx.cfg
    if User.objects.filter(username__startswith=cfg.prefix).exists():
        raise SeedError(
            f"this database already holds the network of seed {cfg.seed}; use another "
            "--seed or a fresh database"
        )
    rng = random.Random(f"{cfg.seed}:network")
    fakers = {"en": Faker("en_CA"), "fr": Faker("fr_CA")}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(cfg.seed * 10 + i)
    ctx.password_hash = make_password(cfg.password)
    sizes = split_patients(cfg.patients, cfg.clinics, rng)
    opened = cfg.today - dt.timedelta(days=365 * cfg.years + 30)
    system = Who(None, "synthetic seed", "", None)
    with historical_timestamps(Clinic, User, Membership, Device, Licence, CartridgeLot):
        for index in range(cfg.clinics):
            region = rng.choices(REGIONS, weights=[r[3] for r in REGIONS])[0]
            jurisdiction, tz, french, _ = region
            lang = "fr" if rng.random() < french else "en"
            city = fakers[lang].city()
            name = (f"{rng.choice(NAMES_FR)} {city}" if lang == "fr"
                    else f"{city} {rng.choice(NAMES_EN)}")
            created = at_time(opened, rng)
            clinic = Clinic.objects.create(
                name=f"{name} #{index + 1}", legal_name=f"{name} Inc.",
                jurisdiction=jurisdiction, time_zone=tz, created_at=created,
                isotretinoin_washout_months=rng.choice([6, 6, 6, 12]),
                screening_valid_days=rng.choice([90, 90, 180]),
            )
            net = ClinicNet(index=index + 1, clinic=clinic, patients=sizes[index],
                            french_share=french)
            ctx.nets.append(net)
            ctx.created(Clinic, 1)
            ctx.audit.add(created, system, Action.CREATE, "clinics.clinic", clinic.pk,
                          data={"synthetic": True})
            _locations(ctx, net, rng, fakers[lang], tz, created)
            _staff(ctx, net, rng, fakers, created)
            _devices(ctx, net, rng, created)
            _hours(ctx, net, created)
            templates_ensure(clinic)
            net.templates = {
                (t.procedure, t.language): t
                for t in ConsentTemplate.objects.filter(clinic=clinic).select_related("clinic")
            }
            for t in net.templates.values():
                # consent.services.render_document reads the procedure's label for every
                # consent; Django's get_FIELD_display costs more than the rest of the
                # rendering. Same label, looked up once per template.
                t.get_procedure_display = _constant(t.get_procedure_display())
            ctx.created(ConsentTemplate, len(net.templates))


def _constant(value: str) -> Any:
    return lambda: value


def _locations(ctx: Context, net: ClinicNet, rng: random.Random, fake: Faker, tz: str,
               created: dt.datetime) -> None:
    count = 1 + min(3, net.patients // 20000) + (rng.random() < 0.4)
    rooms = []
    for k in range(count):
        loc = Location.objects.create(
            clinic=net.clinic, name=f"{fake.street_name()} {k + 1}",
            address=f"{fake.street_address()}, {fake.city()}", time_zone=tz)
        net.locations.append(loc)
        rooms += [Room(location=loc, name=f"Room {r + 1}") for r in range(rng.randint(2, 4))]
    Room.objects.bulk_create(rooms)
    for room in rooms:
        net.rooms.setdefault(room.location_id, []).append(room)
    ctx.created(Location, count)
    ctx.created(Room, len(rooms))


def _staff(ctx: Context, net: ClinicNet, rng: random.Random, fakers: dict[str, Faker],
           created: dt.datetime) -> None:
    cfg = ctx.cfg
    users, plans = [], []
    for role, count in staff_plan(net.patients):
        for k in range(count):
            lang = "fr" if rng.random() < net.french_share else "en"
            fake = fakers[lang]
            username = f"{cfg.prefix}c{net.index}.{role}.{k + 1}"
            users.append(User(
                username=username, first_name=fake.first_name(), last_name=fake.last_name(),
                email=f"{username}@example.org", language=lang, password=ctx.password_hash,
                date_joined=created,
            ))
            plans.append((role, k))
    User.objects.bulk_create(users)
    memberships = []
    for user, (role, k) in zip(users, plans, strict=True):
        reg = REG_BODIES.get(role)
        memberships.append(Membership(
            user=user, clinic=net.clinic, role=role, created_at=created,
            is_medical_director=(role == Role.PHYSICIAN and k == 0),
            registration_number=f"{reg[0]} {rng.randint(10000, 99999)}" if reg else "",
            registration_body=f"{reg[1]} ({net.clinic.jurisdiction})" if reg else "",
        ))
    Membership.objects.bulk_create(memberships)
    for user, m in zip(users, memberships, strict=True):
        net.staff.setdefault(m.role, []).append(
            Staff(user.pk, user.username, user.get_full_name(), m.role, net.clinic.pk,
                  membership_id=m.pk, registration=m.registration_number))
    ctx.created(User, len(users))
    ctx.created(Membership, len(memberships))
    admin = net.staff[Role.CLINIC_ADMIN][0].who()
    for m in memberships:
        ctx.audit.add(created, admin, Action.CREATE, "accounts.membership", m.pk,
                      data={"user": m.user.username, "role": m.role})


def _devices(ctx: Context, net: ClinicNet, rng: random.Random, created: dt.datetime) -> None:
    cfg = ctx.cfg
    admin = net.staff[Role.CLINIC_ADMIN][0]
    pens = rng.sample(PENS, 2)
    licences = {
        p[1]: Licence(
            clinic=net.clinic, authority="HC", number=str(p[6]),
            name=f"{p[1].upper()} SYSTEM (synthetic)", device_class=2, status="I",
            first_date=dt.date(p[7], 3, 1), company=f"{p[0].upper()} DEVICES (synthetic)",
            updated_at=created)
        for p in pens
    }
    Licence.objects.bulk_create(licences.values())
    devices = []
    for k in range(len(net.locations)):
        for j, p in enumerate(pens):
            devices.append(Device(
                clinic=net.clinic, kind="pen", manufacturer=p[0], model_name=p[1],
                serial_number=f"{p[0][:3].upper()}-{net.index:03d}-{k:02d}{j:02d}",
                max_depth_mm=Decimal(p[2]), needle_counts=p[3], speed_min=p[4],
                speed_max=p[5], licence=licences[p[1]], created_at=created,
                updated_at=created))
    devices.append(Device(
        clinic=net.clinic, kind="roller", manufacturer="Glow Home",
        model_name="Glow Roller 0.25", serial_number=f"GLOW-{net.index:03d}",
        intended_use="consumer", max_depth_mm=Decimal("0.25"), needle_counts=[540],
        status="retired", created_at=created, updated_at=created))
    Device.objects.bulk_create(devices)
    net.devices = devices
    products = [
        CartridgeProduct(clinic=net.clinic, manufacturer=p[0],
                         name=f"{n}-needle sterile cartridge", needle_count=n,
                         configuration="round", compatible_models=[p[1]])
        for p in pens for n in p[3][:2]
    ]
    CartridgeProduct.objects.bulk_create(products)
    lots = []
    for product in products:
        for k in range(rng.randint(2, 5)):
            received = cfg.today - dt.timedelta(days=rng.randint(0, 365 * cfg.years))
            quantity = rng.choice([20, 50, 100])
            lots.append(CartridgeLot(
                clinic=net.clinic, product=product,
                lot_number=f"{product.manufacturer[:3].upper()}{product.needle_count}-"
                           f"{received:%y%m}-{k + 1:02d}",
                expiry=received + dt.timedelta(days=rng.randint(365, 900)),
                # Spare stock, never drawn from: sessions draw from the monthly lots the
                # history stages receive (care.LotBook), so every lot's count adds up.
                quantity_received=quantity, quantity_left=quantity,
                received_on=received, received_by_id=admin.user_id,
                created_at=at_time(received, rng)))
    CartridgeLot.objects.bulk_create(lots)
    net.lots = lots
    net.products = products
    for model, rows in ((Licence, licences.values()), (Device, devices),
                        (CartridgeProduct, products), (CartridgeLot, lots)):
        rows = list(rows)
        ctx.created(model, len(rows))
        for row in rows:
            when = getattr(row, "created_at", None) or created
            ctx.audit.add(when, admin.who(), Action.CREATE, model._meta.label_lower, row.pk,
                          data={"synthetic": True})


CLINICAL = (Role.PHYSICIAN, Role.NURSE_PRACTITIONER, Role.REGISTERED_NURSE,
            Role.MEDICAL_AESTHETICIAN)


def _hours(ctx: Context, net: ClinicNet, created: dt.datetime) -> None:
    """Weekly hours: clinicians Monday-Friday or Tuesday-Saturday, rotating over the
    locations by weekday (physicians a little longer, so they can supervise); the front
    desk at one location. Every clinic is closed on Sunday."""
    from puncta.scheduling.models import WorkingHours

    admin = net.staff[Role.CLINIC_ADMIN][0].who()
    locs = net.locations
    rows = []
    for i, s in enumerate(net.role(*CLINICAL, Role.FRONT_DESK)):
        days = range(0, 5) if i % 3 else range(1, 6)
        start, end = (dt.time(8), dt.time(20)) if s.role == Role.PHYSICIAN else (
            dt.time(8, 30), dt.time(19))
        for w in days:
            loc = locs[(i + w) % len(locs)] if s.role != Role.FRONT_DESK else \
                locs[i % len(locs)]
            rows.append(WorkingHours(membership_id=s.membership_id, location_id=loc.pk,
                                     weekday=w, start=start, end=end, on_site=True))
            net.hours[(s.membership_id, w)] = (loc.pk, start, end)
    WorkingHours.objects.bulk_create(rows)
    ctx.created(WorkingHours, len(rows))
    for row in rows:
        ctx.audit.add(created, admin, Action.CREATE, "scheduling.workinghours", row.pk,
                      data={"weekday": row.weekday, "location": row.location_id})
