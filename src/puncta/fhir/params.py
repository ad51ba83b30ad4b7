"""Search parameter values (FHIR search syntax) turned into Django ``Q`` filters.

Each function returns a parser ``(value, clinic) -> Q``. A value may hold several
alternatives separated by commas (OR); a parameter given twice must match both (AND).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db.models import Q

from puncta.clinics import clock

from .errors import FhirError

Parser = Callable[[str, Any], Q]
NOTHING = Q(pk__in=[])

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
                   r"(Z|[+-]\d{2}:\d{2})?)?)?)?$")


def _any(value: str, one: Callable[[str], Q]) -> Q:
    q = NOTHING
    for part in value.split(","):
        q |= one(part.strip())
    return q


def token(field: str, mapping: Mapping[str, Sequence[Any]] | None = None) -> Parser:
    """Exact match; ``mapping`` turns a FHIR code into the stored values it covers."""
    def one(v: str) -> Q:
        v = v.rpartition("|")[2]
        if mapping is None:
            return Q(**{field: v})
        values = mapping.get(v)
        return Q(**{f"{field}__in": list(values)}) if values else NOTHING

    return lambda value, clinic: _any(value, one)


def contains(*fields: str) -> Parser:
    def one(v: str) -> Q:
        q = NOTHING
        for f in fields:
            q |= Q(**{f"{f}__icontains": v})
        return q

    return lambda value, clinic: _any(value, one)


def reference(field: str, *types: str, prefix: str = "") -> Parser:
    """``Patient/12`` or ``12`` (or a full URL ending in it); another type matches nothing."""
    def one(v: str) -> Q:
        parts = v.rstrip("/").split("/")
        rid = parts[-1]
        if len(parts) > 1 and parts[-2] not in types:
            return NOTHING
        if prefix:
            if not rid.startswith(prefix):
                return NOTHING
            rid = rid[len(prefix):]
        if not rid.isdigit():
            return NOTHING
        return Q(**{field: int(rid)})

    return lambda value, clinic: _any(value, one)


def custom(fn: Callable[[str, Any], Q]) -> Parser:
    return lambda value, clinic: _any(value, lambda v: fn(v, clinic))


def parse_date(text: str, clinic: Any) -> tuple[dt.datetime, dt.datetime, bool]:
    """The interval [start, end) a FHIR date value covers, and whether it named a time.
    A value without a zone is read in the clinic's time zone."""
    m = _DATE.match(text)
    if not m:
        raise FhirError(400, f"{text!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or "
                             "YYYY-MM-DDThh:mm[:ss][zone]).")
    y, mo, d, hh, mi, ss, tz = m.groups()
    try:
        if hh is not None:
            naive = dt.datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss or 0))
            if tz:
                zone = dt.UTC if tz == "Z" else dt.timezone(
                    dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
                    * (1 if tz[0] == "+" else -1))
                start = naive.replace(tzinfo=zone)
            else:
                start = naive.replace(tzinfo=clock.tz_of(clinic))
            step = dt.timedelta(seconds=1) if ss else dt.timedelta(minutes=1)
            return start, start + step, True
        first = dt.date(int(y), int(mo or 1), int(d or 1))
        if d:
            last = first + dt.timedelta(days=1)
        elif mo:
            last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        else:
            last = first.replace(year=first.year + 1)
    except ValueError as exc:
        raise FhirError(400, f"{text!r} is not a valid date: {exc}.") from None
    return clock.start_of_day(clinic, first), clock.start_of_day(clinic, last), False


PREFIXES = ("eq", "ne", "lt", "le", "gt", "ge", "sa", "eb")


def date(field: str, *, is_datetime: bool) -> Parser:
    """eq/ne/lt/le/gt/ge (and sa/eb) against a DateField or DateTimeField."""
    def one(v: str, clinic: Any) -> Q:
        prefix = v[:2] if v[:2] in PREFIXES else "eq"
        if v[:2].isalpha() and v[:2] not in PREFIXES:
            raise FhirError(400, f"Date prefix {v[:2]!r} is not supported "
                                 f"(use one of {', '.join(PREFIXES)}).")
        body = v[2:] if v[:2] in PREFIXES else v
        start, end, _ = parse_date(body, clinic)
        lo: Any = start if is_datetime else start.date()
        hi: Any = end if is_datetime else clock.local_date(clinic, end - dt.timedelta(
            microseconds=1)) + dt.timedelta(days=1)
        if not is_datetime:
            lo = clock.local_date(clinic, start)
        inside = Q(**{f"{field}__gte": lo, f"{field}__lt": hi})
        return {
            "eq": inside, "ne": ~inside,
            "lt": Q(**{f"{field}__lt": lo}), "eb": Q(**{f"{field}__lt": lo}),
            "le": Q(**{f"{field}__lt": hi}),
            "gt": Q(**{f"{field}__gte": hi}), "sa": Q(**{f"{field}__gte": hi}),
            "ge": Q(**{f"{field}__gte": lo}),
        }[prefix]

    return lambda value, clinic: _any(value, lambda v: one(v, clinic))
