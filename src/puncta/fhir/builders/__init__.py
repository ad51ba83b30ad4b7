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


def meta(updated: dt.datetime | None, version: int | None = None) -> Json:
    """``versionId`` is the record's own edit counter where it keeps one (the number an
    edit must quote, so a client can tell an unchanged record)."""
    out: Json = {"lastUpdated": instant(updated)} if updated else {}
    if version is not None:
        out["versionId"] = str(version)
    return out


class Clean(dict):  # type: ignore[type-arg]
    """An element built without empty values: ``clean`` keeps it as it is instead of
    walking it (refs, codings and concepts are most of a resource's elements)."""


def ref(rtype: str, rid: object, display: str | None = None) -> Json:
    out = Clean(reference=f"{rtype}/{rid}")
    if display:
        out["display"] = display
    return out


def coding(system: str, code: str, display: str | None = None) -> Json:
    out = Clean(system=system)
    if code:
        out["code"] = code
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None, text: str | None = None
            ) -> Json:
    out = Clean(coding=[coding(system, code, display)])
    if text or display:
        out["text"] = text or display
    return out


def number(value: Any) -> float:
    """A JSON number from a stored decimal or its text ('0.50' is 0.5)."""
    return float(Decimal(str(value)))


def clean(obj: Any) -> Any:
    """Drop empty values: FHIR forbids empty strings, lists and objects. (One pass; it runs
    on every exported resource, so it tests types, not equality with empty values, and
    does not enter a ``Clean`` element.)"""
    if type(obj) is dict:
        out = {}
        for k, v in obj.items():
            t = type(v)
            if t is dict or t is list:
                v = clean(v)
                if v:
                    out[k] = v
            elif v is not None and (t is not str or v):
                out[k] = v
        return out
    if type(obj) is list:
        items = []
        for v in obj:
            t = type(v)
            if t is dict or t is list:
                v = clean(v)
                if v:
                    items.append(v)
            elif v is not None and (t is not str or v):
                items.append(v)
        return items
    return obj


def url_maker(name: str) -> Any:
    """A fast ``reverse(name, args=[pk])`` for one-id URLs (reverse costs ~0.1 ms)."""
    from django.urls import reverse

    marker = 987654321
    before, _, after = reverse(name, args=[marker]).partition(str(marker))
    return lambda pk: f"{before}{pk}{after}"


def labels(choices: Any) -> dict[str, str]:
    """A TextChoices' labels in English, resolved once (FHIR displays are not localised
    per request, and a lazy label costs a translation lookup every time)."""
    from django.utils import translation

    with translation.override("en"):
        return {value: str(label) for value, label in choices.choices}
