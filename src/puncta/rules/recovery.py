"""Downtime and aftercare by maximum set depth (deeper never means shorter)."""

from __future__ import annotations

import math

from .data import rules_data
from .model import AftercareItem, DayRange, RulesInputError

MAX_DEPTH_MM = 5.0  # absurd beyond this: no microneedling device goes deeper


def check_depth_value(value: object, field: str) -> float:
    """A depth in millimetres: a number in (0, 5]. Never converts units."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 < value <= MAX_DEPTH_MM
    ):
        raise RulesInputError(
            field, f"must be a number in millimetres between 0 and {MAX_DEPTH_MM:g}"
        )
    return float(value)


def downtime(max_depth_mm: float) -> DayRange:
    depth = check_depth_value(max_depth_mm, "max_depth_mm")
    bands = rules_data().downtime
    for band in bands:
        if depth <= band.up_to_mm:
            return DayRange(band.min_days, band.max_days, band.source, "derived" in band.source)
    last = bands[-1]
    return DayRange(last.min_days, last.max_days, last.source, True)


def precare() -> tuple[AftercareItem, ...]:
    """What to do (or stop) before a session, for the reminders."""
    return tuple(
        AftercareItem(code=str(r["code"]), en=str(r["en"]), fr=str(r["fr"]),
                      duration_hours=None, starts_after_hours=-int(r["hours_before"]),
                      source=str(r["source"]))
        for r in rules_data().precare
    )


def aftercare(max_depth_mm: float) -> tuple[AftercareItem, ...]:
    days = downtime(max_depth_mm).max_days
    items = []
    for row in rules_data().aftercare:
        duration = row["duration_hours"]
        hours = days * 24 if duration == "healing" else int(duration)
        items.append(
            AftercareItem(
                code=str(row["code"]),
                en=str(row["en"]).format(days=days),
                fr=str(row["fr"]).format(days=days),
                duration_hours=hours,
                starts_after_hours=int(row["starts_after_hours"]),
                source=str(row["source"]),
            )
        )
    return tuple(items)
