"""Reading Health Canada's Medical Devices Active Licence Listing (MDALL) JSON.

The files are what the MDALL API returns from its ``licence``, ``device`` and ``company``
endpoints: an array of objects (a single object is accepted too). Unknown fields are
ignored, so a new field in the API breaks nothing; a record missing a required field
refuses the whole file, naming the record, because half a registry is worse than none.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

KINDS = ("licence", "device", "company")

REQUIRED = {
    "licence": ("original_licence_no", "licence_status", "appl_risk_class", "licence_name",
                "first_licence_status_dt"),
    "device": ("original_licence_no", "device_id", "trade_name"),
    "company": ("company_id", "company_name"),
}
# The field only one kind has: how a file's kind is told from its records.
SIGNATURE = {"device_id": "device", "appl_risk_class": "licence", "company_name": "company"}
ADDRESS_FIELDS = ("addr_line_1", "addr_line_2", "addr_line_3", "postal_code", "city",
                  "country_cd", "region_cd")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


class MdallFormatError(ValueError):
    """The file is not MDALL JSON as the API returns it; the message says where."""


@dataclass(frozen=True)
class ParsedFile:
    name: str
    kind: str
    rows: list[dict[str, Any]]  # model field name -> value, ready for the registry tables


def detect_kind(records: list[dict[str, Any]]) -> str | None:
    for record in records:
        found = {SIGNATURE[k] for k in record if k in SIGNATURE}
        if len(found) == 1:
            return found.pop()
    return None


def parse(text: str, *, name: str, kind: str | None = None) -> ParsedFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MdallFormatError(f"{name}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise MdallFormatError(f"{name}: expected an array of objects as the MDALL API returns")
    if kind is None:
        kind = detect_kind(data)
        if kind is None:
            if not data:
                return ParsedFile(name, "empty", [])
            raise MdallFormatError(
                f"{name}: cannot tell licence, device or company records apart; use --kind")
    if kind not in KINDS:
        raise MdallFormatError(f"{name}: unknown kind {kind!r} (licence, device or company)")
    rows = [_row(kind, record, f"{name}: {kind} record {i + 1}") for i, record in enumerate(data)]
    return ParsedFile(name, kind, rows)


def _row(kind: str, record: dict[str, Any], where: str) -> dict[str, Any]:
    missing = [f for f in REQUIRED[kind] if f not in record or record[f] in (None, "")]
    if missing:
        ident = record.get("original_licence_no") or record.get("company_id") or "?"
        raise MdallFormatError(f"{where} (id {ident}) lacks {', '.join(missing)}")
    if kind == "licence":
        return {
            "original_licence_no": _int(record["original_licence_no"], where,
                                        "original_licence_no"),
            "licence_status": str(record["licence_status"]).strip(),
            "appl_risk_class": _risk_class(record["appl_risk_class"], where),
            "licence_name": str(record["licence_name"]).strip(),
            "first_licence_status_dt": _date(record["first_licence_status_dt"], where,
                                             "first_licence_status_dt"),
            "end_date": _date(record.get("end_date"), where, "end_date"),
            "licence_type_cd": str(record.get("licence_type_cd") or "").strip(),
            "company_id": (None if record.get("company_id") in (None, "")
                           else _int(record["company_id"], where, "company_id")),
        }
    if kind == "device":
        return {
            "device_id": _int(record["device_id"], where, "device_id"),
            "original_licence_no": _int(record["original_licence_no"], where,
                                        "original_licence_no"),
            "trade_name": str(record["trade_name"]).strip(),
            "first_licence_dt": _date(record.get("first_licence_dt"), where, "first_licence_dt"),
            "end_date": _date(record.get("end_date"), where, "end_date"),
        }
    return {
        "company_id": _int(record["company_id"], where, "company_id"),
        "company_name": str(record["company_name"]).strip(),
        "address": {f: str(record[f]).strip() for f in ADDRESS_FIELDS if record.get(f)},
        "company_status": str(record.get("company_status") or "").strip(),
    }


def _int(value: Any, where: str, field: str) -> int:
    if isinstance(value, bool):
        raise MdallFormatError(f"{where}: {field} must be a number, not {value!r}")
    try:
        return int(str(value).strip())
    except ValueError:
        raise MdallFormatError(f"{where}: {field} must be a number, not {value!r}") from None


def _risk_class(value: Any, where: str) -> int:
    if isinstance(value, str) and value.strip().upper() in _ROMAN:
        return _ROMAN[value.strip().upper()]
    cls = _int(value, where, "appl_risk_class")
    if not 1 <= cls <= 4:
        raise MdallFormatError(f"{where}: appl_risk_class must be 1 to 4, not {value!r}")
    return cls


def _date(value: Any, where: str, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        # MDALL dates are ISO dates; some exports append a time, which is not needed.
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise MdallFormatError(f"{where}: {field} must be a date YYYY-MM-DD, not {value!r}"
                               ) from None
