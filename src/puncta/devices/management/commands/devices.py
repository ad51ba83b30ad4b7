"""``puncta devices``: registry import, licence verification, lots and recall traces."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.http import Http404

from puncta.audit.services import Actor
from puncta.clinics import clock
from puncta.devices import selectors
from puncta.devices.mdall import KINDS, MdallFormatError, ParsedFile, parse
from puncta.devices.models import (
    RegistryCompany,
    RegistryDevice,
    RegistryLicence,
    normalise_licence_number,
)
from puncta.devices.recall import audit_trace, to_csv, trace_rows
from puncta.devices.services import DrawRefused, lot_draw, lot_receive, registry_import

NOT_FOUND = 3


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date YYYY-MM-DD") from None


def _errors(exc: ValidationError) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())


REGISTRY_MODELS = {"licence": RegistryLicence, "device": RegistryDevice,
                   "company": RegistryCompany}


def _unfit(file: ParsedFile) -> str:
    """What in a parsed file the registry tables cannot hold, named by file, record and
    field: said here, or the database would refuse it with an error about itself."""
    model = REGISTRY_MODELS.get(file.kind)
    if model is None:
        return ""
    for i, row in enumerate(file.rows):
        where = f"{file.name}: {file.kind} record {i + 1}"
        for name, value in row.items():
            field = model._meta.get_field(name)
            if isinstance(value, str):
                if "\x00" in value:
                    return f"{where}: {name} contains a NUL character"
                if field.max_length is not None and len(value) > field.max_length:
                    return (f"{where}: {name} is {len(value)} characters long; at most "
                            f"{field.max_length} fit")
            elif isinstance(value, int):
                low, high = connection.ops.integer_field_range(field.get_internal_type())
                if (low is not None and value < low) or (high is not None and value > high):
                    return f"{where}: {name} {value} is out of range"
            elif isinstance(value, dict) and any("\x00" in str(v) for v in value.values()):
                return f"{where}: {name} contains a NUL character"
    return ""


class Command(BaseCommand):
    help = ("Devices: import-mdall FILE... (Health Canada MDALL JSON), verify --licence N, "
            "receive-lot, draw, trace --lot LOT.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import-mdall", help="import MDALL licence/device/company JSON")
        imp.add_argument("files", nargs="*", metavar="FILE")
        imp.add_argument("--kind", choices=KINDS, help="the endpoint the files come from")
        imp.add_argument("--online", nargs="+", metavar="LICENCE_NO",
                         help="fetch these licences from the MDALL API over HTTPS")
        ver = sub.add_parser("verify", help="is a licence active and Class II+ (JSON)")
        ver.add_argument("--licence", required=True)
        ver.add_argument("--on", type=_date, default=None, help="date (default today)")
        rec = sub.add_parser("receive-lot", help="receive a lot of cartridges")
        rec.add_argument("--clinic", type=int, required=True)
        rec.add_argument("--product", type=int, required=True, help="cartridge product id")
        rec.add_argument("--lot", required=True)
        rec.add_argument("--expiry", type=_date, required=True)
        rec.add_argument("--quantity", type=int, required=True)
        drw = sub.add_parser("draw", help="draw one cartridge from a lot")
        drw.add_argument("--clinic", type=int, required=True)
        drw.add_argument("--lot-id", type=int, required=True)
        drw.add_argument("--device", type=int, required=True, help="device id")
        drw.add_argument("--patient-mrn", default="")
        drw.add_argument("--reference", default="")
        drw.add_argument("--on", type=_date, default=None)
        tr = sub.add_parser("trace", help="every use of a lot, for a recall (CSV or JSON)")
        tr.add_argument("--lot", required=True, help="lot number")
        tr.add_argument("--clinic", type=int, default=None)
        tr.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        self.actor = Actor(label=f"puncta devices {action}", clinic_id=options.get("clinic"))
        getattr(self, "_" + action.replace("-", "_"))(options)

    def _import_mdall(self, options: dict[str, Any]) -> None:
        if not options["files"] and not options["online"]:
            raise CommandError("give MDALL JSON files, or --online LICENCE_NO...")
        parsed = []
        try:
            for name in options["files"]:
                path = Path(name)
                try:
                    text = path.read_text(encoding="utf-8-sig")
                except OSError as exc:
                    raise CommandError(f"cannot read {name}: {exc.strerror}") from None
                except UnicodeDecodeError:
                    raise CommandError(f"{name}: not UTF-8 text; nothing imported") from None
                try:
                    parsed.append(parse(text, name=name, kind=options["kind"]))
                except MdallFormatError:
                    raise
                except RecursionError:
                    raise CommandError(f"{name}: JSON nested too deeply; nothing imported"
                                       ) from None
                except ValueError as exc:  # e.g. a number of thousands of digits
                    raise CommandError(f"{name}: not JSON MDALL can hold ({exc}); nothing "
                                       "imported") from None
            if options["online"]:
                from puncta.devices.mdall_online import fetch_licence

                for number in options["online"]:
                    try:
                        parsed.extend(fetch_licence(int(normalise_licence_number("HC", number))))
                    except (ValueError, OSError) as exc:
                        raise CommandError(f"MDALL fetch of {number} failed: {exc}") from None
        except MdallFormatError as exc:
            raise CommandError(f"{exc}; nothing imported") from None
        for file in parsed:
            problem = _unfit(file)
            if problem:
                raise CommandError(f"{problem}; nothing imported")
        report = registry_import(actor=self.actor, files=parsed)
        for kind, counts in report.counts.items():
            self.stdout.write(f"{kind}: {counts['new']} new, {counts['changed']} changed, "
                              f"{counts['unchanged']} unchanged")
        self.stdout.write(f"clinic licences updated: {report.licences_updated}")

    def _verify(self, options: dict[str, Any]) -> None:
        on = options["on"] or clock.utc_today()
        result = selectors.licence_verify(options["licence"], on)
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        if not result["found"]:
            raise CommandError(f"licence {result['licence']} not found in the imported "
                               "registry", returncode=NOT_FOUND)

    def _receive_lot(self, options: dict[str, Any]) -> None:
        try:
            product = selectors.product_get(options["clinic"], options["product"])
        except Http404:
            raise CommandError(f"clinic {options['clinic']} has no cartridge product "
                               f"{options['product']}") from None
        try:
            lot = lot_receive(actor=self.actor, product=product, lot_number=options["lot"],
                              expiry=options["expiry"], quantity=options["quantity"])
        except ValidationError as exc:
            raise CommandError(_errors(exc)) from None
        self.stdout.write(f"lot {lot.lot_number} received: id {lot.pk}, "
                          f"{lot.quantity_left} of {product}")

    def _draw(self, options: dict[str, Any]) -> None:
        clinic = options["clinic"]
        try:
            lot = selectors.lot_get(clinic, options["lot_id"])
            device = selectors.device_get(clinic, options["device"])
            patient = (selectors.patient_in_clinic(clinic, mrn=options["patient_mrn"])
                       if options["patient_mrn"] else None)
        except Http404 as exc:
            raise CommandError(f"clinic {clinic}: {exc}") from None
        try:
            draw = lot_draw(actor=self.actor, lot=lot, device=device, patient=patient,
                            reference=options["reference"], on=options["on"])
        except DrawRefused as exc:
            raise CommandError(f"refused ({exc.code}): {exc.message}") from None
        self.stdout.write(f"drew 1 from lot {lot.lot_number} (draw {draw.pk}); "
                          f"{lot.quantity_left} left")

    def _trace(self, options: dict[str, Any]) -> None:
        lots = list(selectors.lots_by_number(options["lot"], options["clinic"]))
        if not lots:
            raise CommandError(f"no lot {options['lot']!r}", returncode=NOT_FOUND)
        draws = list(selectors.lot_trace(lots))
        audit_trace(self.actor, draws, via="cli")
        rows = trace_rows(draws)
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(to_csv(rows), ending="")
