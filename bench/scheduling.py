"""Series proposal speed on a busy clinic (issue 6's benchmark; numbers, not pass/fail).

Builds (once) a clinic with 20 practitioners, 8 rooms and 12 licensed pens, and a year of
appointments (≥ 50,000: six months back, six ahead, rooms ~90% full, seven days a week), then times
`propose_series` for a 5–6-session acne-scar course over 9 months, and counts its SQL.

    DATABASE_URL=sqlite:////tmp/puncta-bench/sched.sqlite3 .venv/bin/python bench/scheduling.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/puncta_sched \
        .venv/bin/python bench/scheduling.py

Options: --runs N (default 40), --json FILE.

Besides wall time it reports the process's CPU time per proposal (``cpu_*``): on SQLite that
includes the database's work; on a machine shared with other jobs it is the steadier figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puncta.settings")
os.environ.setdefault("PUNCTA_MODE", "dev")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/puncta-bench/sched.sqlite3")
if os.environ["DATABASE_URL"].startswith("sqlite:///"):
    Path(os.environ["DATABASE_URL"][len("sqlite:///"):]).parent.mkdir(parents=True,
                                                                       exist_ok=True)

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from puncta.accounts.models import Membership, User  # noqa: E402
from puncta.audit.services import Actor  # noqa: E402
from puncta.clinics.models import Clinic, Location, Room  # noqa: E402
from puncta.devices.models import Device, Licence  # noqa: E402
from puncta.patients.models import Patient  # noqa: E402
from puncta.plans.services import plan_save  # noqa: E402
from puncta.scheduling.models import Appointment, WorkingHours  # noqa: E402
from puncta.scheduling.series import propose_series  # noqa: E402

NAME = "Bench Scheduling Clinic 50k"
ROLES = ["physician"] * 4 + ["nurse_practitioner"] * 4 + ["registered_nurse"] * 6 + [
    "medical_aesthetician"] * 6


def build(today: dt.date) -> Clinic:
    rng = random.Random(6)
    clinic = Clinic.objects.create(name=NAME, legal_name=NAME, jurisdiction="CA-ON")
    loc = Location.objects.create(clinic=clinic, name="Main", time_zone="America/Toronto")
    rooms = Room.objects.bulk_create([Room(location=loc, name=f"Room {i}") for i in range(8)])
    users = User.objects.bulk_create([User(username=f"bench-sched-{i}", first_name=f"P{i}",
                                           last_name="Bench") for i in range(20)])
    members = Membership.objects.bulk_create([
        Membership(user=u, clinic=clinic, role=r) for u, r in zip(users, ROLES, strict=True)])
    WorkingHours.objects.bulk_create([
        WorkingHours(membership=m, location=loc, weekday=d, start=dt.time(7),
                     end=dt.time(21)) for m in members for d in range(7)])
    licence = Licence.objects.create(clinic=clinic, authority="HC", number="90001",
                                     device_class=2, first_date=dt.date(2020, 1, 1))
    devices = Device.objects.bulk_create([
        Device(clinic=clinic, kind="pen", manufacturer="Bench", model_name="Pen",
               serial_number=f"B{i}", max_depth_mm=Decimal("2.5"), licence=licence)
        for i in range(12)])
    patients = Patient.objects.bulk_create([
        Patient(clinic=clinic, mrn=f"S{i:06d}", given_name="Pat", family_name=f"N{i}",
                date_of_birth=dt.date(1980, 1, 1), search_name=f"pat n{i}")
        for i in range(3000)])
    creator = users[0]
    rows = []
    tz = timezone.get_fixed_timezone(-300)
    day = today - dt.timedelta(days=182)
    while day < today + dt.timedelta(days=183):
        if True:
            busy_pr: dict[int, list] = {m.pk: [] for m in members}
            busy_dev: dict[int, list] = {d.pk: [] for d in devices}
            for room in rooms:
                t = dt.datetime.combine(day, dt.time(7), tzinfo=tz)
                close = dt.datetime.combine(day, dt.time(21), tzinfo=tz)
                while True:
                    treatment = rng.random() < 0.6
                    numbing = 30 if treatment else 0
                    start = t
                    treat = start + dt.timedelta(minutes=numbing)
                    end = treat + dt.timedelta(minutes=25 if treatment else 20)
                    if end > close:
                        break
                    if rng.random() < 0.9:
                        free_pr = [m for m in members if all(
                            e <= treat or s >= end for s, e in busy_pr[m.pk])]
                        free_dev = [d for d in devices if all(
                            e <= treat or s >= end for s, e in busy_dev[d.pk])]
                        if free_pr and (free_dev or not treatment):
                            pr = rng.choice(free_pr)
                            dev = rng.choice(free_dev) if treatment else None
                            busy_pr[pr.pk].append((treat, end))
                            if dev:
                                busy_dev[dev.pk].append((treat, end))
                            rows.append(Appointment(
                                clinic=clinic, location=loc, patient=rng.choice(patients),
                                kind="treatment" if treatment else "checkin",
                                status="completed" if day < today else "booked",
                                practitioner=pr, room=room, device=dev, start=start,
                                treat_start=treat, end=end, created_by=creator))
                    t = end
        day += dt.timedelta(days=1)
    with transaction.atomic():
        Appointment.objects.bulk_create(rows, batch_size=2000)
    return clinic


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    clinic = Clinic.objects.filter(name=NAME).first()
    if clinic is None:
        t0 = time.perf_counter()
        clinic = build(today)
        print(f"built the bench clinic in {time.perf_counter() - t0:.1f} s")
    count = Appointment.objects.filter(clinic=clinic).count()
    members = list(Membership.objects.filter(clinic=clinic).order_by("id"))
    actor = Actor(user=members[0].user, role="physician", clinic_id=clinic.pk)
    rng = random.Random(1)
    timings, cpu, queries, found = [], [], [], []
    patients = list(Patient.objects.filter(clinic=clinic).order_by("id")[:args.runs])
    for i, patient in enumerate(patients):
        start = today + dt.timedelta(days=rng.randint(1, 30))
        plan = plan_save(actor=actor, patient=patient, indication="acne_scars",
                         severity=rng.choice(["mild", "severe"]), start=start,
                         device_type="pen", goals="", numbing_minutes=30,
                         zones=[("cheek", Decimal("1.5"), 3), ("forehead", Decimal("0.5"), 3)])
        preferred = members[rng.randrange(len(members))] if i % 2 else None
        with CaptureQueriesContext(connection) as ctx:
            t0, c0 = time.perf_counter(), time.process_time()
            proposal = propose_series(plan, practitioner=preferred)
            timings.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        queries.append(len(ctx))
        found.append(sum(1 for p in proposal if p.slot))
    q = statistics.quantiles(timings, n=100)
    result = {
        "date": dt.date.today().isoformat(), "database": connection.vendor,
        "appointments": count, "practitioners": len(members), "rooms": 8, "devices": 12,
        "runs": len(timings), "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(q[94], 1), "p99_ms": round(q[98], 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(statistics.quantiles(cpu, n=100)[94], 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "queries_median": statistics.median(queries), "queries_max": max(queries),
        "sessions_proposed_median": statistics.median(found),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
