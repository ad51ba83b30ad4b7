"""The demo clinic: two locations, rooms, the personas and 30 realistic patients.

Idempotent: seeding an already seeded database changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction

from puncta.accounts.models import Membership, User
from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.clinics import clock
from puncta.clinics.models import Clinic, Location, Room
from puncta.devices.demo import seed_demo_devices
from puncta.patients.models import Concern, fold
from puncta.patients.services import patient_create

DEMO_PASSWORD = "microneedle-demo"  # noqa: S105 - printed for the local demo only
DEMO_CLINIC = "Lumière Skin Clinic"
OTHER_CLINIC = "Harbour Dermatology"


@dataclass(frozen=True)
class Persona:
    username: str
    first: str
    last: str
    role: str
    language: str = "en"
    director: bool = False
    registration: tuple[str, str] = ("", "")
    clinic: str = DEMO_CLINIC


PERSONAS = [
    Persona("dr.chen", "Amelia", "Chen", "physician", director=True,
            registration=("CPSO 98765", "College of Physicians and Surgeons of Ontario")),
    Persona("np.roy", "Julie", "Roy", "nurse_practitioner", language="fr",
            registration=("NP 44120", "College of Nurses of Ontario")),
    Persona("rn.okafor", "Grace", "Okafor", "registered_nurse",
            registration=("RN 20331", "College of Nurses of Ontario")),
    Persona("esth.tremblay", "Sophie", "Tremblay", "medical_aesthetician", language="fr"),
    Persona("desk.martin", "Liam", "Martin", "front_desk"),
    Persona("admin.singh", "Priya", "Singh", "clinic_admin"),
    Persona("other.clinic", "Owen", "Walsh", "physician", clinic=OTHER_CLINIC,
            registration=("CPSBC 11223", "College of Physicians and Surgeons of BC")),
]


def seed_demo(patients: int = 30, seed: int = 2026) -> bool:
    """Create the demo data; returns False when it was already there."""
    if Clinic.objects.filter(name=DEMO_CLINIC).exists():
        return False
    with transaction.atomic():
        clinic = Clinic.objects.create(
            name=DEMO_CLINIC, legal_name="Clinique Lumière Inc.", jurisdiction="CA-ON",
            time_zone="America/Toronto",
        )
        other = Clinic.objects.create(
            name=OTHER_CLINIC, legal_name="Harbour Dermatology Ltd.", jurisdiction="CA-BC",
            time_zone="America/Vancouver",
        )
        for loc_name, address, rooms in [
            ("King West", "620 King St W, Toronto ON", ["Room 1", "Room 2", "Room 3"]),
            ("Glebe", "812 Bank St, Ottawa ON", ["Suite A", "Suite B"]),
        ]:
            loc = Location.objects.create(clinic=clinic, name=loc_name, address=address)
            Room.objects.bulk_create([Room(location=loc, name=r) for r in rooms])
        Room.objects.create(
            location=Location.objects.create(
                clinic=other, name="Waterfront", address="200 Granville St, Vancouver BC",
                time_zone="America/Vancouver",
            ),
            name="Room 1",
        )
        clinics = {DEMO_CLINIC: clinic, OTHER_CLINIC: other}
        for p in PERSONAS:
            user = User(
                username=p.username, first_name=p.first, last_name=p.last,
                email=f"{p.username}@example.org", language=p.language,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            Membership.objects.create(
                user=user, clinic=clinics[p.clinic], role=p.role, is_medical_director=p.director,
                registration_number=p.registration[0], registration_body=p.registration[1],
            )
        seed_demo_devices(clinic)
        seed_patients(clinic, patients, seed)
        seed_patients(other, 5, seed + 1)
        seed_clinical_story(clinic)
    return True


def _ascii(name: str) -> str:
    return "".join(c for c in fold(name) if c.isascii() and c.isalnum()) or "patient"


# Invented Canadian names for the demo's patients (Faker is a tool of the synthetic seed,
# not installed with the product).
NAMES = {
    "en": {"female": ["Emma", "Olivia", "Charlotte", "Amelia", "Sophie", "Hannah", "Megan",
                      "Chloe", "Grace", "Avery", "Jessica", "Lauren"],
           "male": ["Liam", "Noah", "Ethan", "Lucas", "Owen", "Ryan", "Connor", "Jack"],
           "family": ["Smith", "Brown", "Tremblay", "Martin", "Wilson", "MacDonald",
                      "Taylor", "Campbell", "Anderson", "Thompson", "Stewart", "Robinson",
                      "Clarke", "Murray", "Fraser", "Young"]},
    "fr": {"female": ["Léa", "Chloé", "Camille", "Juliette", "Florence", "Rosalie",
                      "Émilie", "Geneviève", "Marie-Ève", "Noémie", "Béatrice", "Maude"],
           "male": ["Félix", "William", "Gabriel", "Thomas", "Olivier", "Mathis", "Éloi",
                    "Antoine"],
           "family": ["Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie",
                      "Fortin", "Gagné", "Ouellet", "Pelletier", "Bélanger", "Lévesque",
                      "Bergeron", "Leblanc", "Paquette"]},
}


def seed_patients(clinic: Clinic, count: int, seed: int) -> None:
    rng = random.Random(seed)
    actor = Actor(label="demo seed", clinic_id=clinic.pk)
    concerns = Concern.values
    for _ in range(count):
        lang = "fr" if rng.random() < 0.35 else "en"
        names = NAMES[lang]
        sex = rng.choice(["female"] * 7 + ["male"] * 3)
        given = rng.choice(names[sex])
        born = dt.date(2026, 1, 1) - dt.timedelta(days=rng.randint(19 * 365, 68 * 365))
        patient_create(
            actor=actor,
            clinic_id=clinic.pk,
            given_name=given,
            family_name=rng.choice(names["family"]),
            date_of_birth=born,
            sex_at_birth=sex,
            email=f"{_ascii(given)}.{rng.randint(10, 99)}@example.com",
            phone=f"{rng.choice(['416', '613', '647', '819'])}-555-{rng.randint(0, 9999):04d}",
            preferred_language=lang,
            phototype=rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5, 6]),
            skin_sensitive=rng.random() < 0.2,
            skin_thin=rng.random() < 0.1,
            concerns=sorted(rng.sample(concerns, rng.randint(1, 3))),
        )
    record(actor, Action.CREATE, object_type="demo.seed", data={"patients": count})


def seed_clinical_story(clinic: Clinic) -> None:
    """Working hours for the team, and a few patients at each step of the journey:
    screened clear and consented with a booked acne-scar course; waiting for physician
    review; never screened."""
    from decimal import Decimal

    from puncta.consent import services as consent_services
    from puncta.consent.models import ConsentTemplate
    from puncta.patients.intake import services as intake_services
    from puncta.patients.models import Patient
    from puncta.plans.services import plan_save
    from puncta.scheduling import services as booking
    from puncta.scheduling.models import WorkingHours
    from puncta.scheduling.series import propose_series

    members = {m.user.username: m for m in Membership.objects.select_related("user")
               .filter(clinic=clinic)}
    king, glebe = clinic.locations.order_by("name").get(name="King West"), \
        clinic.locations.get(name="Glebe")
    for name in ("dr.chen", "np.roy", "rn.okafor", "esth.tremblay"):
        for weekday in range(5):
            location = glebe if (name == "np.roy" and weekday >= 3) else king
            WorkingHours.objects.create(membership=members[name], location=location,
                                        weekday=weekday, start=dt.time(9), end=dt.time(17))
    def actor_for(m: Membership) -> Actor:
        return Actor(user=m.user, role=m.role, clinic_id=clinic.pk)

    nurse, doctor, desk = (actor_for(members["rn.okafor"]), actor_for(members["dr.chen"]),
                           actor_for(members["desk.martin"]))
    consent_services.templates_ensure(clinic)
    template = ConsentTemplate.objects.get(clinic=clinic, procedure="microneedling",
                                           language="en", version=1)
    patients = list(Patient.objects.filter(clinic=clinic).order_by("id")[:4])
    today = clock.today(clinic)
    for i, patient in enumerate(patients):
        intake = intake_services.intake_open(actor=nurse, patient=patient)
        answers = {"concerns": ["acne_scars"]} if i != 1 else {
            "concerns": ["fine_lines"], "cond.herpes_simplex_history.present": "on"}
        if i == 3:
            continue  # never screened: the booking gate refuses this patient
        intake, _ = intake_services.intake_save(actor=nurse, response=intake, data=answers,
                                                expected_version=intake.version)
        intake_services.intake_submit(actor=nurse, response=intake, by_patient=False)
        if i == 1:
            continue  # waiting in dr.chen's review queue
        consent_services.consent_sign(
            actor=nurse, patient=patient, template=template, signer_name=patient.full_name,
            understood=True,
            strokes_json="[[[20,120],[60,60],[100,130],[140,70],[180,120],[220,80]]]")
        plan = plan_save(actor=doctor, patient=patient, indication="acne_scars",
                         severity="moderate", start=today + dt.timedelta(days=3 + i),
                         device_type="pen", goals="Smoother cheeks", numbing_minutes=30,
                         zones=[("cheek", Decimal("1.5"), 4), ("forehead", Decimal("0.5"), 3)])
        if i == 0:
            items = [p for p in propose_series(plan) if p.slot is not None]
            booking.appointment_series_book(actor=desk, requests=[booking.Request(
                plan=plan, number=p.number, start=p.slot.start,
                practitioner=p.slot.practitioner, room=p.slot.room, device=p.slot.device,
                supervisor=p.slot.supervisor) for p in items if p.slot is not None])
