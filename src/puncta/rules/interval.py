"""Spacing between sessions, from the course protocol data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from .data import rules_data
from .findings import make
from .model import Finding

DEFAULT_SEVERITY = "moderate"


def check_interval(
    on: date, previous: Sequence[date], indication: str, severity: str | None
) -> list[Finding]:
    if not previous:
        return []
    protocol = rules_data().protocols[indication]
    idx = max(range(len(previous)), key=lambda i: previous[i])
    last = previous[idx]
    days = (on - last).days
    field = f"previous_sessions[{idx}]"
    if days < protocol.min_interval_days:
        return [
            make(
                "interval.too_short",
                field,
                days=days,
                previous=last.isoformat(),
                min=protocol.min_interval_days,
                source=protocol.source,
            )
        ]
    series = protocol.sessions.get(severity or DEFAULT_SEVERITY, max(protocol.sessions.values()))
    # Drift matters only inside the initial series; after it, sessions are maintenance.
    if days > protocol.max_interval_days and len(previous) < series:
        return [
            make(
                "interval.drift",
                field,
                days=days,
                previous=last.isoformat(),
                max=protocol.max_interval_days,
                source=protocol.source,
            )
        ]
    return []
