"""In-process timings of the pages a clinic opens, at whatever scale the database holds:
median of N views, SQL queries per view and the slowest query; and CPU per request (this
process + its PostgreSQL backend, from /proc) for the FHIR name search and read.

    .venv/bin/python bench/pages.py --database-url postgres://postgres@127.0.0.1:5432/bench100k

Production settings, the largest clinic, its clinic administrator and physician signed in
(MFA not required here), the Django test client: no HTTP, no load generator, so the
figures hold on a noisy machine. Prints numbers; does not pass or fail.
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from typing import Any

from cpu import read_stat, ticks_to_ms
from sample import clinician_token, largest_clinic, patients_and_fragments


def configure(url: str) -> None:
    os.environ.update({
        "DATABASE_URL": url, "PUNCTA_MODE": "production", "ALLOWED_HOSTS": "testserver",
        "SECRET_KEY": secrets.token_urlsafe(64), "PUNCTA_AUDIT_KEY": secrets.token_urlsafe(48),
        "PUNCTA_SECURE_COOKIES": "1", "PUNCTA_SSL_REDIRECT": "0", "PUNCTA_HSTS_SECONDS": "0",
        "PUNCTA_LOG_LEVEL": "ERROR", "PUNCTA_MFA_REQUIRED_ROLES": ""})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puncta.settings")
    import django

    django.setup()
    import logging

    logging.disable(logging.CRITICAL)


def pages(clinic_id: int, views: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from puncta.accounts.models import Membership
    from puncta.charting.models import Chart
    from puncta.patients.models import Patient

    def client(role: str) -> Client:
        m = Membership.objects.filter(clinic_id=clinic_id, role=role, is_active=True
                                      ).select_related("user").first()
        if m is None:
            raise SystemExit(f"bench: clinic {clinic_id} has no {role}")
        c = Client()
        c.force_login(m.user)
        session = c.session
        session["clinic_id"] = clinic_id
        session.save()
        return c

    patient = Patient.objects.filter(clinic_id=clinic_id).order_by("-id").first()
    chart = (Chart.objects.filter(clinic_id=clinic_id).exclude(status="draft")
             .order_by("-id").first())
    assert patient is not None and chart is not None
    plan: dict[str, list[str]] = {
        "clinic_admin": ["/", "/audit/", f"/audit/?patient={patient.pk}", "/compliance/",
                         "/patients/?q=tre", f"/patients/{patient.pk}/"],
        "physician": ["/", f"/patients/{patient.pk}/",
                      reverse("charting:chart", args=[chart.pk]), reverse("charting:home")],
    }
    for role, urls in plan.items():
        c = client(role)
        for url in urls:
            c.get(url)
            times = []
            for _ in range(views):
                with CaptureQueriesContext(connection) as q:
                    started = time.perf_counter()
                    r = c.get(url)
                    times.append((time.perf_counter() - started) * 1000)
            slow = max(q.captured_queries, key=lambda x: float(x["time"] or 0))
            print(f"{role:13s} {url:34s} {r.status_code} {sorted(times)[len(times) // 2]:8.1f} ms"
                  f" {len(q.captured_queries):3d} queries; slowest {float(slow['time']) * 1000:.0f}"
                  f" ms: {slow['sql'][:70]}")


def cpu(clinic_id: int, n: int) -> None:
    from django.db import connection
    from django.test import Client

    c = Client(headers={"Authorization": f"Bearer {clinician_token(clinic_id, 'bench pages')}"})
    sample, frags = patients_and_fragments(clinic_id)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql"
                    else "SELECT 0")
        pid = cur.fetchone()[0]

    def db_cpu() -> int:  # ticks of this connection's PostgreSQL backend (none on SQLite)
        stat = read_stat(pid) if pid else None
        return stat.own if stat else 0

    def run(label: str, paths: list[str]) -> dict[str, Any]:
        for p in paths[:40]:
            c.get(p)
        t, d, w = time.process_time(), db_cpu(), time.perf_counter()
        for i in range(n):
            assert c.get(paths[i % len(paths)]).status_code == 200
        app, db = (time.process_time() - t) / n * 1000, ticks_to_ms(db_cpu() - d) / n
        print(f"{label:18s} CPU ms/request: app {app:.2f} + db {db:.2f} = {app + db:.2f}; "
              f"wall {(time.perf_counter() - w) / n * 1000:.2f} ms")
        return {"app": app, "db": db}

    run("FHIR name search", [f"/fhir/Patient?name={f}&_count=20" for f in frags])
    run("FHIR read by id", [f"/fhir/Patient/{i}" for i in sample])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--views", type=int, default=5)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    configure(args.database_url)
    clinic = largest_clinic()
    print(f"clinic {clinic.pk}: {clinic.n} patients")
    pages(clinic.pk, args.views)
    cpu(clinic.pk, args.requests)


if __name__ == "__main__":
    main()
