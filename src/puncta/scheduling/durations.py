"""How long an appointment takes, from the plan.

Numbing dwell (the plan's, 15–60 min; Dermapen 4 manual: 15–50 min) occupies the room but
not the practitioner; treatment time grows with the zones and the severity, from a
quarter of an hour to an hour (clinic brief: "a few minutes to an hour, by area and
severity"; reference: 15–30 min per treatment, 60 with preparation); then the room is
turned over.
"""

from __future__ import annotations

import datetime as dt

TURNOVER_MIN = 10
BASE_MIN = 15
PER_ZONE_MIN = 5
SEVERITY_EXTRA_MIN = {"light": 0, "mild": 0, "moderate": 5, "severe": 10}
MAX_TREATMENT_MIN = 60


def treatment_minutes(zone_count: int, severity: str) -> int:
    raw = BASE_MIN + PER_ZONE_MIN * max(zone_count - 1, 0) + SEVERITY_EXTRA_MIN.get(severity, 0)
    return min(raw, MAX_TREATMENT_MIN)


def intervals(start: dt.datetime, *, numbing_min: int, zone_count: int, severity: str
              ) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """(room from, practitioner from, end) for an appointment arriving at ``start``."""
    treat_start = start + dt.timedelta(minutes=numbing_min)
    end = treat_start + dt.timedelta(minutes=treatment_minutes(zone_count, severity)
                                     + TURNOVER_MIN)
    return start, treat_start, end
