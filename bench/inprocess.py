"""In-process server time, without HTTP or a load generator: the patient page against its
raw-SQL floor (CPU, app + database), the calendar week page and the series proposal
(p50/p95 over N runs through Django's test client, with the bench's settings, and SQL
queries per request).

Run by bench/run.py and bench/compare.py in a child process whose PYTHONPATH is the code
under test (so compare measures each ref's own code):

    PYTHONPATH=<tree>/src python bench/inprocess.py --spec spec.json --out out.json

The environment (DATABASE_URL, PUNCTA_MODE, ...) is the parent's. ``spec.json``:
``{"username", "clinic", "patients": [...], "plans": [...], "weeks": [...], "runs"}``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cpu import read_stat, ticks_to_ms
from summary import pct

RAW_PATIENT_PAGE = [
    ("SELECT * FROM patients_patient WHERE clinic_id = %s AND id = %s", "clinic,patient"),
    ("SELECT s.*, u.first_name, u.last_name FROM patients_screening s LEFT JOIN accounts_user"
     " u ON u.id = s.decided_by_id WHERE s.patient_id = %s AND s.superseded_at IS NULL"
     " ORDER BY s.screened_at DESC, s.id DESC LIMIT 1", "patient"),
    ("SELECT c.id, c.signed_at, c.withdrawn_at, t.procedure, t.language, t.version FROM"
     " consent_consent c JOIN consent_consenttemplate t ON t.id = c.template_id"
     " WHERE c.patient_id = %s ORDER BY c.signed_at DESC, c.id DESC", "patient"),
    ("SELECT procedure, language, MAX(version) FROM consent_consenttemplate"
     " WHERE clinic_id = %s GROUP BY procedure, language", "clinic"),
]


def raw_params(kind: str, clinic: int, patient: int) -> list[int]:
    return {"clinic,patient": [clinic, patient], "patient": [patient],
            "clinic": [clinic]}[kind]


class Cpu:
    """This thread's CPU plus the CPU of this connection's PostgreSQL backend."""

    def __init__(self, backend: int | None) -> None:
        self.backend = backend

    def now(self) -> float:
        ms = time.thread_time_ns() / 1e6
        if self.backend is not None:
            s = read_stat(self.backend)
            ms += ticks_to_ms(s.own) if s else 0.0
        return ms


def timed(n: int, fn: Callable[[int], Any], cpu: Cpu) -> dict[str, float]:
    """n calls of fn(i): wall p50/p95/p99 ms, and CPU ms per call (app + database)."""
    wall = []
    c0 = cpu.now()
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        wall.append(time.perf_counter() - t)
    cpu_ms = (cpu.now() - c0) / n
    return {"runs": n, "p50_ms": pct(wall, 50) * 1000, "p95_ms": pct(wall, 95) * 1000,
            "p99_ms": pct(wall, 99) * 1000, "cpu_ms": cpu_ms}


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from puncta.accounts.models import ApiToken, Membership, User

    clinic, ids, n = spec["clinic"], spec["patients"], spec.get("runs", 300)
    rng = random.Random(2)
    connection.ensure_connection()
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            backend = cur.fetchone()[0]
    cpu = Cpu(backend)
    out: dict[str, Any] = {"database": connection.vendor}

    picks = [ids[rng.randrange(len(ids))] for _ in range(n)]
    with connection.cursor() as cur:
        def raw(i: int) -> None:
            for sql, kind in RAW_PATIENT_PAGE:
                cur.execute(sql, raw_params(kind, clinic, picks[i]))
                cur.fetchall()

        raw(0)  # warm
        floor = timed(n, raw, cpu)
    web = Client()
    web.force_login(User.objects.get(username=spec["username"]))
    web.get(f"/patients/{picks[0]}/", secure=True)  # warm
    page = timed(n, lambda i: web.get(f"/patients/{picks[i]}/", secure=True), cpu)
    out["patient_page_raw_floor"] = {
        "raw": floor, "page": page,
        "cpu_ratio": page["cpu_ms"] / floor["cpu_ms"] if floor["cpu_ms"] else None,
        "wall_ratio_p50": page["p50_ms"] / floor["p50_ms"] if floor["p50_ms"] else None,
    }

    def queries(client: Client, url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(url, secure=True)
        return len(ctx.captured_queries)

    weeks = spec.get("weeks") or []
    if weeks:
        urls = [f"/calendar/?date={weeks[i % len(weeks)]}" for i in range(n)]
        status = web.get(urls[0], secure=True).status_code
        out["calendar_week"] = {**timed(n, lambda i: web.get(urls[i], secure=True), cpu),
                                "queries": queries(web, urls[0]), "status": status}
    plans = spec.get("plans") or []
    if plans:
        nurse = Membership.objects.filter(clinic_id=clinic, role="registered_nurse",
                                          is_active=True).first()
        token = ApiToken.issue(nurse, "bench in-process")[1] if nurse else ""
        api = Client(headers={"Authorization": f"Bearer {token}"})
        urls = [f"/api/v1/plans/{plans[i % len(plans)]}/proposal" for i in range(n)]
        status = api.get(urls[0], secure=True).status_code
        out["series_proposal"] = {**timed(n, lambda i: api.get(urls[i], secure=True), cpu),
                                  "queries": queries(api, urls[0]), "status": status}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puncta.settings")
    import django

    django.setup()
    spec = json.loads(Path(args.spec).read_text())
    Path(args.out).write_text(json.dumps(measure(spec), indent=2))


if __name__ == "__main__":
    main()
