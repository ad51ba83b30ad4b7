"""The range of days a clinic record can mean, checked at both doors and in services.

Year 1 or 9999 is a typing slip, and date arithmetic near the ends of Python's calendar
overflows (a week view of 9999-12-31, a time zone shift of 0001-01-01): refuse such days
with a message instead of failing."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from .errors import DomainError

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)


class DateOutOfRange(DomainError):
    default_code = "date.out_of_range"


def day_in_range(day: dt.date | dt.datetime) -> bool:
    day = day.date() if isinstance(day, dt.datetime) else day
    return FIRST_DAY <= day <= LAST_DAY


def require_day(day: dt.date | dt.datetime, field: str) -> None:
    if not day_in_range(day):
        raise DateOutOfRange(_("Enter a date between %(a)s and %(b)s.") % {
            "a": FIRST_DAY.isoformat(), "b": LAST_DAY.isoformat()}, field=field)

