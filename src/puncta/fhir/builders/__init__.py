"""Puncta records as FHIR R4B resources (plain dicts in the shape of ``fhir.resources``
R4B models; ``validate`` checks one against its model). One builder per resource type;
each takes the record as selected by ``registry`` (its ``select_related`` in place) and a
``Ctx`` that knows the server's public origin (for links to documents)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class Ctx:
    origin: str  # e.g. "https://clinic.example" (no trailing slash): links to web documents


def instant(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def day(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def meta(updated: dt.datetime | None) -> Json:
    return {"lastUpdated": instant(updated)} if updated else {}


def ref(rtype: str, rid: object, display: str | None = None) -> Json:
    out: Json = {"reference": f"{rtype}/{rid}"}
    if display:
        out["display"] = display
    return out


def coding(system: str, code: str, display: str | None = None) -> Json:
    out: Json = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None, text: str | None = None
            ) -> Json:
    out: Json = {"coding": [coding(system, code, display)]}
    if text or display:
        out["text"] = text or display
    return out


def number(value: Any) -> float:
    """A JSON number from a stored decimal or its text ('0.50' is 0.5)."""
    return float(Decimal(str(value)))


def clean(obj: Any) -> Any:
    """Drop empty values: FHIR forbids empty strings, lists and objects."""
    if isinstance(obj, dict):
        out = {k: clean(v) for k, v in obj.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(obj, list):
        items = [clean(v) for v in obj]
        return [v for v in items if v not in (None, "", [], {})]
    return obj
