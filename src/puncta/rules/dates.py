"""Calendar helpers (no clock: every date is passed in)."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(d: date, months: int) -> date:
    """Calendar months, clamping the day (31 Mar - 1 month = 28/29 Feb)."""
    total = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(total, 12)
    day = min(d.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def is_adult(birth_date: date, on: date, jurisdiction_code: str) -> bool:
    """Of age in the jurisdiction on the day (age of majority from the jurisdiction data)."""
    from .jurisdictions import jurisdiction

    return age_on(birth_date, on) >= jurisdiction(jurisdiction_code).age_of_majority
