"""Audited-write throughput: several concurrent writers in several clinics, PostgreSQL.

Each operation is what an audited request does to the log: one transaction that appends
an event (``puncta.audit.services.record``) and commits, optionally holding the
transaction open ``--hold-ms`` longer (the rest of a request's work before its commit,
during which the chain head stays locked). Writers are processes (no shared GIL), spread
round robin over ``--clinics`` clinics.

One run, with whatever ``puncta`` is on PYTHONPATH:

    PYTHONPATH=src .venv/bin/python bench/audit.py run \\
        --database-url postgres://postgres@127.0.0.1:5432/puncta_audit_bench \\
        --writers 8 --clinics 4 --seconds 15

Before and after in one sitting (the old global chain from a worktree of commit e5b4442,
each on its own fresh database, same settings, alternating):

    git worktree add /tmp/audit-before e5b4442
    PYTHONPATH=src .venv/bin/python bench/audit.py compare --before /tmp/audit-before/src \\
        --server postgres://postgres@127.0.0.1:5432 --json bench/results-audit.json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("PUNCTA_MODE", "dev")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puncta.settings")
    import django

    django.setup()


def _writer(database_url: str, clinic_id: int, n: int, seconds: float, hold_ms: float,
            start_at: float, out: Any) -> None:
    _setup(database_url)
    from django.db import connection, transaction

    from puncta.audit.services import Actor, record

    actor = Actor(label=f"bench writer {n}", role="registered_nurse", clinic_id=clinic_id,
                  ip="127.0.0.1")
    connection.ensure_connection()
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    latencies = []
    i = 0
    while True:
        t0 = time.perf_counter()
        if time.time() >= deadline:
            break
        with transaction.atomic():
            record(actor, "update", object_type="bench.write", object_id=f"{n}-{i}",
                   patient_id=i, data={"writer": n, "i": i})
            if hold_ms:
                time.sleep(hold_ms / 1000)
        latencies.append((time.perf_counter() - t0) * 1000)
        i += 1
    out.put(latencies)
    connection.close()


def run(database_url: str, writers: int, clinics: int, seconds: float,
        hold_ms: float) -> dict[str, Any]:
    _setup(database_url)
    from django.db import connections

    from puncta.audit.models import AuditEvent
    from puncta.clinics.models import Clinic

    ids = []
    for k in range(clinics):
        clinic, _ = Clinic.objects.get_or_create(
            name=f"Bench audit clinic {k}",
            defaults={"legal_name": "Bench", "jurisdiction": "CA-ON",
                      "time_zone": "America/Toronto"})
        ids.append(clinic.pk)
    before = AuditEvent.objects.count()
    connections.close_all()
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start_at = time.time() + 1.5
    procs = [ctx.Process(target=_writer, args=(database_url, ids[n % clinics], n, seconds,
                                               hold_ms, start_at, out))
             for n in range(writers)]
    for p in procs:
        p.start()
    latencies: list[float] = []
    for _ in procs:
        latencies += out.get()
    for p in procs:
        p.join()
    written = AuditEvent.objects.count() - before
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "writers": writers, "clinics": clinics, "seconds": seconds, "hold_ms": hold_ms,
        "events": written, "events_per_s": round(written / seconds, 1),
        "p50_ms": round(q[49], 2), "p95_ms": round(q[94], 2), "p99_ms": round(q[98], 2),
        "max_ms": round(max(latencies), 2),
    }


def _psql(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def compare(args: argparse.Namespace) -> None:
    """Alternate before/after runs on fresh databases, same machine, same sitting."""
    after_src = str(HERE.parent / "src")
    code = {"before": args.before, "after": after_src}
    configs = [(w, c, h) for h in args.hold_ms for (w, c) in args.shapes]
    results: list[dict[str, Any]] = []
    for writers, clinics, hold in configs:
        for label in ("before", "after"):
            db = f"puncta_audit_bench_{label}"
            _psql(args.server, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            _psql(args.server, f"CREATE DATABASE {db}")
            url = f"{args.server}/{db}"
            env = {**os.environ, "PYTHONPATH": code[label], "DATABASE_URL": url,
                   "PUNCTA_MODE": "dev", "PUNCTA_DATA_DIR": f"/tmp/puncta-audit-bench-{label}"}
            subprocess.run([sys.executable, "-m", "puncta", "migrate", "--verbosity", "0"],
                           env=env, check=True)
            out = subprocess.run(
                [sys.executable, __file__, "run", "--database-url", url, "--writers",
                 str(writers), "--clinics", str(clinics), "--seconds", str(args.seconds),
                 "--hold-ms", str(hold)], env=env, check=True, capture_output=True, text=True)
            result = {"code": label, **json.loads(out.stdout.strip().splitlines()[-1])}
            print(json.dumps(result), flush=True)
            results.append(result)
            _psql(args.server, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    report = {
        "machine": f"{os.cpu_count()} cores, {platform.platform()}, Python "
                   f"{platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "results": results,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print("| code | writers | clinics | hold ms | events/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['code']} | {r['writers']} | {r['clinics']} | {r['hold_ms']:g} | "
              f"{r['events_per_s']:,} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} |")


def _shape(text: str) -> tuple[int, int]:
    writers, clinics = text.split("x")
    return int(writers), int(clinics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("run", help="one run with the puncta on PYTHONPATH")
    one.add_argument("--database-url", required=True)
    one.add_argument("--writers", type=int, default=8)
    one.add_argument("--clinics", type=int, default=4)
    one.add_argument("--seconds", type=float, default=15)
    one.add_argument("--hold-ms", type=float, default=0)
    both = sub.add_parser("compare", help="before and after, alternating, fresh databases")
    both.add_argument("--before", required=True, help="src/ of the old code's worktree")
    both.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    both.add_argument("--seconds", type=float, default=15)
    both.add_argument("--shapes", type=_shape, nargs="+", default=[(8, 4), (8, 2)],
                      help="WRITERSxCLINICS, e.g. 8x4")
    both.add_argument("--hold-ms", type=float, nargs="+", default=[0, 5])
    both.add_argument("--json")
    args = parser.parse_args()
    if args.command == "run":
        print(json.dumps(run(args.database_url, args.writers, args.clinics, args.seconds,
                             args.hold_ms)))
    else:
        compare(args)


if __name__ == "__main__":
    main()
