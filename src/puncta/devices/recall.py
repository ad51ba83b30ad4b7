"""A lot's recall trace as rows and CSV: who was treated with which cartridge, when, with
which device, and how to reach them for the recall letter. Reading it is audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from puncta.audit.models import Action
from puncta.audit.services import Actor, Entry, record_many

from .models import LotDraw

COLUMNS = ("lot", "product", "expiry", "date", "reference", "device_serial", "device_model",
           "patient_id", "patient_mrn", "patient_name", "patient_email", "patient_phone",
           "drawn_by")


def trace_rows(draws: Iterable[LotDraw]) -> list[dict[str, Any]]:
    rows = []
    for d in draws:
        p = d.patient
        rows.append({
            "lot": d.lot.lot_number,
            "product": str(d.lot.product),
            "expiry": d.lot.expiry.isoformat(),
            "date": d.on.isoformat(),
            "reference": d.reference,
            "device_serial": d.device.serial_number,
            "device_model": d.device.model_name,
            "patient_id": p.pk if p else None,
            "patient_mrn": p.mrn if p else "",
            "patient_name": f"{p.given_name} {p.family_name}" if p else "",
            "patient_email": p.email if p else "",
            "patient_phone": p.phone if p else "",
            "drawn_by": d.drawn_by_label,
        })
    return rows


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to a spreadsheet: neutralise it.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in COLUMNS])
    return out.getvalue()


def audit_trace(actor: Actor, draws: Iterable[LotDraw], *, via: str) -> None:
    """One export event per patient shown, in the clinic the draw belongs to."""
    by_clinic: dict[int, list[Entry]] = {}
    for d in draws:
        by_clinic.setdefault(d.lot.clinic_id, []).append(Entry(
            Action.EXPORT, "devices.lotdraw", str(d.pk), patient_id=d.patient_id,
            data={"lot": d.lot_id, "via": via},
        ))
    for clinic_id, entries in by_clinic.items():
        record_many(actor, entries, clinic_id=clinic_id)
