"""Outcomes bench (issue 14; numbers, not pass/fail).

1. Accepting a 12-megapixel phone JPEG (4000x3000, EXIF orientation and GPS): the image
   work alone (check, turn upright, strip, re-encode, two copies), the service
   (+ storage + database + audit) and the whole HTTP upload through the view.
2. The comparison page of a course holding 20 photographs of one view: p50/p95 over
   repeated requests, its SQL query count, and the thumbnail view's p95.

    .venv/bin/python bench/outcomes.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/puncta_bench_outcomes \
        .venv/bin/python bench/outcomes.py

The database is emptied and migrated first (use a bench database). Options: --runs N
(uploads, default 5), --requests N (page requests, default 100), --json FILE.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puncta.settings")
os.environ.setdefault("PUNCTA_MODE", "dev")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/puncta-bench/outcomes.sqlite3")
os.environ.setdefault("PUNCTA_PHOTO_ROOT", tempfile.mkdtemp(prefix="puncta-bench-photos-"))
if os.environ["DATABASE_URL"].startswith("sqlite:///"):
    _db = Path(os.environ["DATABASE_URL"][len("sqlite:///"):])
    _db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{_db}{suffix}").unlink(missing_ok=True)

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402

from puncta.accounts.models import Membership, User  # noqa: E402
from puncta.audit.services import Actor  # noqa: E402
from puncta.clinics.models import Clinic, Location  # noqa: E402
from puncta.consent import services as consent_services  # noqa: E402
from puncta.consent.models import ConsentTemplate  # noqa: E402
from puncta.outcomes import images, services  # noqa: E402
from puncta.patients.models import Patient  # noqa: E402
from puncta.plans.models import TreatmentPlan  # noqa: E402


def phone_jpeg(width: int = 4000, height: int = 3000, seed: int = 1) -> bytes:
    """A photo-like 12 MP JPEG: smooth gradients with sensor-like noise, quality 92, EXIF
    orientation 6 and a GPS position (what a phone writes)."""
    rng = random.Random(seed)
    small = Image.new("RGB", (width // 16, height // 16))
    px = small.load()
    for x in range(small.width):
        for y in range(small.height):
            px[x, y] = (150 + (x * 80) // small.width + rng.randint(-12, 12),
                        110 + (y * 60) // small.height + rng.randint(-12, 12),
                        100 + rng.randint(-12, 12))
    img = small.resize((width, height), Image.Resampling.BICUBIC)
    noise = Image.effect_noise((width, height), 18).convert("RGB")
    img = Image.blend(img, noise, 0.12)
    exif = Image.Exif()
    exif[0x010F] = "BenchPhone"
    exif[0x0112] = 6
    exif.get_ifd(0x8825).update({1: "N", 2: (45.0, 25.0, 1.5), 3: "W", 4: (75.0, 41.0, 2.0)})
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92, exif=exif)
    return buf.getvalue()


def setup() -> tuple[Membership, TreatmentPlan]:
    clinic = Clinic.objects.create(name="Bench Outcomes", legal_name="Bench Outcomes",
                                   jurisdiction="CA-ON")
    Location.objects.create(clinic=clinic, name="Main", time_zone="America/Toronto")
    user = User.objects.create(username="bench-outcomes", first_name="B", last_name="N")
    member = Membership.objects.create(user=user, clinic=clinic, role="physician")
    patient = Patient.objects.create(clinic=clinic, mrn="B1", given_name="Bench",
                                     family_name="Patient",
                                     date_of_birth=dt.date(1980, 1, 1))
    actor = Actor(user=user, role="physician", clinic_id=clinic.pk)
    consent_services.templates_ensure(clinic)
    template = ConsentTemplate.objects.get(clinic=clinic, procedure="photography",
                                           language="en", version=1)
    consent_services.consent_sign(actor=actor, patient=patient, template=template,
                                  signer_name="B", understood=True,
                                  strokes_json="[[[1,1],[5,5],[9,9],[20,4],[30,8]]]")
    plan = TreatmentPlan.objects.create(
        patient=patient, indication="acne_scars", severity="mild",
        start=timezone.localdate(), device_type="pen", numbing_minutes=30,
        course={"sessions": [{"number": n} for n in range(1, 6)]}, verdict="allow",
        rules_version="bench", created_by=user)
    return member, plan


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--json")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    member, plan = setup()
    actor = Actor(user=member.user, role=member.role, clinic_id=member.clinic_id)
    data = phone_jpeg()
    result: dict[str, object] = {"database": connection.vendor, "jpeg_bytes": len(data),
                                 "megapixels": 12.0}
    print(f"database: {connection.vendor}; 12 MP JPEG of {len(data) / 1e6:.1f} MB")

    images.process(data)  # warm-up (decoder, allocator)
    # Wall time and this process's CPU time: on a shared machine the wall time includes
    # waiting for a core; the CPU time is what the work costs.
    runs: dict[str, list[tuple[float, float]]] = {"image_only": [], "service": [],
                                                   "http_upload": []}

    def timed(name: str, fn) -> None:  # type: ignore[no-untyped-def]
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        runs[name].append((time.perf_counter() - w0, time.process_time() - c0))

    client = Client()
    client.force_login(member.user)

    def upload() -> None:
        r = client.post(f"/outcomes/courses/{plan.pk}/photos/",
                        {"when": "session:1", "view": "front", "photo": _upload(data)})
        assert r.status_code == 302, r.status_code

    for _ in range(args.runs):
        timed("image_only", lambda: images.process(data))
        timed("service", lambda: services.photo_add(
            actor=actor, patient=plan.patient, plan=plan, data=data, view="front",
            when=services.When("baseline")))
        timed("http_upload", upload)
    for name, values in runs.items():
        wall, cpu = [v[0] for v in values], [v[1] for v in values]
        result[name] = {"median_wall_s": round(statistics.median(wall), 3),
                        "max_wall_s": round(max(wall), 3),
                        "median_cpu_s": round(statistics.median(cpu), 3), "runs": len(values)}
        print(f"12 MP accept, {name:12}: median {statistics.median(wall):.3f} s wall "
              f"(max {max(wall):.3f}), {statistics.median(cpu):.3f} s CPU ({len(values)} runs)")

    # 20 photographs of one view in the course (the earlier 12 MP ones count).
    from puncta.outcomes.models import Photo

    small = phone_jpeg(1600, 1200, seed=2)
    n = Photo.objects.filter(plan=plan).count()
    for i in range(20 - n):
        services.photo_add(actor=actor, patient=plan.patient, plan=plan, data=small,
                           view="front", when=services.When("session", session_number=1 + i % 5))
    assert Photo.objects.filter(plan=plan, view="front").count() == 20
    url = f"/outcomes/courses/{plan.pk}/compare/?view=front"
    client.get(url)
    queries: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        page = client.get(url)
    assert page.status_code == 200 and page.content.count(b"/thumb/") == 20
    times = []
    for _ in range(args.requests):
        t0 = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - t0)
    thumbs = []
    photo_ids = list(Photo.objects.filter(plan=plan).values_list("pk", flat=True))
    for i in range(args.requests):
        t0 = time.perf_counter()
        resp = client.get(f"/outcomes/photos/{photo_ids[i % len(photo_ids)]}/thumb/")
        assert resp.status_code == 200 and resp.content
        thumbs.append(time.perf_counter() - t0)
    result["compare_page"] = {"p50_ms": round(pct(times, 50) * 1000, 1),
                              "p95_ms": round(pct(times, 95) * 1000, 1),
                              "queries": len(queries), "photos": 20,
                              "requests": len(times)}
    result["thumbnail"] = {"p50_ms": round(pct(thumbs, 50) * 1000, 1),
                           "p95_ms": round(pct(thumbs, 95) * 1000, 1)}
    print(f"comparison page, 20 photographs: p50 {pct(times, 50) * 1000:.1f} ms, "
          f"p95 {pct(times, 95) * 1000:.1f} ms, {len(queries)} queries")
    print(f"thumbnail view (audited read): p50 {pct(thumbs, 50) * 1000:.1f} ms, "
          f"p95 {pct(thumbs, 95) * 1000:.1f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


def _upload(data: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("phone.jpg", data, content_type="image/jpeg")


if __name__ == "__main__":
    sys.exit(main())
