"""puncta export --format ndjson DIR: the bulk export, from the command line."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from puncta.audit.services import Actor
from puncta.clinics.models import Clinic
from puncta.fhir import export
from puncta.fhir.builders import Ctx
from puncta.fhir.errors import FhirError
from puncta.fhir.params import parse_date
from puncta.fhir.validate import validate


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
        parser.add_argument("--no-validate", action="store_true",
                            help="skip the fhir.resources check of each resource (faster)")

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
        root = Path(opts["dir"])
        ctx = Ctx(origin=opts["base_url"].rstrip("/"))
        check = None if opts["no_validate"] else validate
        total, started = 0, time.perf_counter()
        for clinic in clinics:
            folder = root if opts["clinic"] or len(clinics) == 1 else root / f"clinic-{clinic.pk}"
            folder.mkdir(parents=True, exist_ok=True)
            counts: dict[str, int] = {}
            for rtype in types:
                path = folder / f"{rtype}.ndjson"
                partial = path.with_suffix(".ndjson.partial")
                with partial.open("wb") as out:
                    n = export.write_type(out, export.SPECS[rtype], clinic.pk, since, ctx,
                                          check=check)
                partial.replace(path)  # a reader never sees a half-written file
                counts[rtype] = n
                total += n
                self.stdout.write(f"clinic {clinic.pk} {rtype}: {n} → {path}")
            export.audit_export(Actor(label="puncta export (command line)",
                                      clinic_id=clinic.pk), clinic.pk, counts, str(folder))
        seconds = time.perf_counter() - started
        self.stdout.write(f"{total} resources in {seconds:.1f} s "
                          f"({total / seconds if seconds else 0:.0f}/s)")
