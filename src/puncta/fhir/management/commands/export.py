"""puncta export --format ndjson DIR: the bulk export, from the command line.

Each (clinic, resource type) file is one task; with ``--jobs N`` (default: the number of
cores, at most 4; 1 on SQLite) the tasks run in N processes, each with its own database
connection, so building resources on one core overlaps the database and the other core.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections

from puncta.audit.services import Actor
from puncta.clinics.models import Clinic
from puncta.fhir import export
from puncta.fhir.builders import Ctx
from puncta.fhir.errors import FhirError
from puncta.fhir.params import parse_date
from puncta.fhir.validate import MODES, Checker

Task = tuple[int, str, str, dt.datetime | None, str]
_checker: Checker | None = None  # one per process: shapes seen once are not re-validated


_inherited: list[Any] = []  # kept referenced: freeing one would end the parent's session


def _init(mode: str, forked: bool = False) -> None:
    global _checker
    _checker = Checker(mode)
    if forked:
        # A forked process must never speak on a connection its parent opened (two
        # processes on one session collide, e.g. on server-side cursor names): drop any
        # it inherited, without closing it, and open its own on first use.
        for conn in connections.all(initialized_only=True):
            if conn.connection is not None:
                _inherited.append(conn.connection)
                conn.connection = None


def write_one(task: Task) -> tuple[int, str, int, str]:
    """Write one clinic's file of one type (in whichever process runs it)."""
    clinic_id, rtype, folder, since, origin = task
    path = Path(folder) / f"{rtype}.ndjson"
    partial = path.with_suffix(".ndjson.partial")
    check = _checker if _checker is not None and _checker.mode != "none" else None
    with partial.open("wb", buffering=1024 * 1024) as out:
        n = export.write_type(out, export.SPECS[rtype], clinic_id, since, Ctx(origin=origin),
                              check=check)
    partial.replace(path)  # a reader never sees a half-written file
    return clinic_id, rtype, n, str(path)


class Command(BaseCommand):
    help = ("Write the clinic's records as FHIR R4B NDJSON, one file per resource type "
            "(Bulk Data format). Without --clinic every clinic gets its own folder.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", help="folder to write into (created if missing)")
        parser.add_argument("--format", default="ndjson", choices=["ndjson"])
        parser.add_argument("--clinic", type=int, help="clinic id (default: every clinic)")
        parser.add_argument("--type", action="append", default=[],
                            help="resource type(s), comma-separated or repeated "
                                 "(default: every type but AuditEvent)")
        parser.add_argument("--since", help="only resources changed since (FHIR instant "
                                            "or date, e.g. 2026-01-01)")
        parser.add_argument("--base-url", default=os.environ.get("PUNCTA_PUBLIC_URL",
                                                                 "http://127.0.0.1:8000"),
                            help="public address of the server, for document links")
        parser.add_argument("--validate", choices=MODES, default="shapes",
                            help="check resources with fhir.resources: all of them; the "
                                 "first few of each type and then each new shape "
                                 "(default); or none (see docs/fhir.md)")
        parser.add_argument("--no-validate", action="store_true",
                            help="the same as --validate none")
        parser.add_argument("--jobs", type=int, default=None,
                            help="processes writing files at once (default: cores, at most "
                                 "4; 1 on SQLite)")

    def handle(self, *args: Any, **opts: Any) -> None:
        clinics = list(Clinic.objects.filter(pk=opts["clinic"]) if opts["clinic"]
                       else Clinic.objects.order_by("pk"))
        if not clinics:
            raise CommandError(f"No clinic with id {opts['clinic']}." if opts["clinic"]
                               else "There is no clinic to export.")
        requested = [t.strip() for arg in opts["type"] for t in arg.split(",") if t.strip()]
        try:
            types = export.export_types("system", requested or None, None)
            since = parse_date(opts["since"], clinics[0])[0] if opts["since"] else None
        except FhirError as exc:
            raise CommandError(exc.message) from None
        mode = "none" if opts["no_validate"] else opts["validate"]
        jobs = opts["jobs"]
        if jobs is None:
            jobs = 1 if connection.vendor == "sqlite" else min(os.cpu_count() or 1, 4)
        if jobs < 1:
            raise CommandError("--jobs must be at least 1.")
        if connection.in_atomic_block:
            jobs = 1  # called inside a transaction: other connections would not see its rows
        root = Path(opts["dir"])
        origin = opts["base_url"].rstrip("/")
        tasks: list[Task] = []
        folders: dict[int, Path] = {}
        for clinic in clinics:
            folder = root if opts["clinic"] or len(clinics) == 1 else root / f"clinic-{clinic.pk}"
            folder.mkdir(parents=True, exist_ok=True)
            folders[clinic.pk] = folder
            tasks += [(clinic.pk, rtype, str(folder), since, origin) for rtype in types]
        counts: dict[int, dict[str, int]] = {c.pk: {} for c in clinics}
        total, started = 0, time.perf_counter()
        for clinic_id, rtype, n, path in self._run(tasks, jobs, mode):
            counts[clinic_id][rtype] = n
            total += n
            self.stdout.write(f"clinic {clinic_id} {rtype}: {n} → {path}")
        for clinic in clinics:
            export.audit_export(Actor(label="puncta export (command line)",
                                      clinic_id=clinic.pk), clinic.pk, counts[clinic.pk],
                                str(folders[clinic.pk]))
        seconds = time.perf_counter() - started
        self.stdout.write(f"{total} resources in {seconds:.1f} s "
                          f"({total / seconds if seconds else 0:.0f}/s; {jobs} "
                          f"process{'es' if jobs > 1 else ''}, validation: {mode})")

    def _run(self, tasks: list[Task], jobs: int, mode: str) -> Any:
        if jobs == 1 or len(tasks) == 1:
            _init(mode)
            yield from map(write_one, tasks)
            return
        # Largest first, so a big file does not start last and run alone.
        rank = {t: i for i, t in enumerate(export.LARGE)}
        order = sorted(tasks, key=lambda t: rank.get(t[1], len(rank)))
        connections.close_all()  # each forked process opens its own connection
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(jobs, initializer=_init, initargs=(mode, True)) as pool:
            yield from pool.imap_unordered(write_one, order)
