"""Course planning: the initial series with date windows, and maintenance.

Scheduling re-flows from actual dates: each session's window is counted from the actual
date of the previous session when it is done, else from its target date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from .data import Protocol, rules_data
from .model import Course, Maintenance, RulesInputError, SessionWindow

SEVERITIES = ("light", "mild", "moderate", "severe")


def protocol_for(indication: object, field: str = "indication") -> Protocol:
    protocols = rules_data().protocols
    if not isinstance(indication, str) or indication not in protocols:
        raise RulesInputError(field, f"must be one of: {', '.join(protocols)}")
    return protocols[indication]


def _windows(
    protocol: Protocol, count: int, start: date, done: Sequence[date]
) -> tuple[SessionWindow, ...]:
    if len(done) > count:
        raise RulesInputError(f"done[{count}]", f"the series has only {count} sessions")
    for i in range(1, len(done)):
        if done[i] <= done[i - 1]:
            raise RulesInputError(f"done[{i}]", "dates must be in increasing order")
    out: list[SessionWindow] = []
    anchor: date | None = None
    for n in range(count):
        if anchor is None:
            earliest = target = start
            latest = start + timedelta(days=protocol.first_window_days)
        else:
            earliest = anchor + timedelta(days=protocol.min_interval_days)
            target = anchor + timedelta(days=protocol.target_interval_days)
            latest = anchor + timedelta(days=protocol.max_interval_days)
        actual = done[n] if n < len(done) else None
        out.append(SessionWindow(n + 1, earliest, target, latest, actual))
        anchor = actual or target
    return tuple(out)


def _maintenance(protocol: Protocol, last: SessionWindow) -> Maintenance:
    anchor = last.done or last.target
    # 1-3 a year: the next one between a third of a year and a year after the series.
    return Maintenance(
        per_year_min=protocol.maintenance_min,
        per_year_max=protocol.maintenance_max,
        earliest=anchor + timedelta(days=365 // protocol.maintenance_max),
        latest=anchor + timedelta(days=365 // protocol.maintenance_min),
        source=protocol.source,
    )


def plan_course(
    indication: str, severity: str, *, start: date, done: Sequence[date] = ()
) -> Course:
    protocol = protocol_for(indication)
    if severity not in protocol.sessions:
        raise RulesInputError(
            "severity",
            f"must be one of {', '.join(protocol.sessions)} for {indication}",
        )
    if not isinstance(start, date):
        raise RulesInputError("start", "must be a date")
    sessions = _windows(protocol, protocol.sessions[severity], start, done)
    return Course(
        indication=indication,
        severity=severity,
        start=start,
        min_interval_days=protocol.min_interval_days,
        max_interval_days=protocol.max_interval_days,
        sessions=sessions,
        maintenance=_maintenance(protocol, sessions[-1]),
        source=protocol.source,
        note=protocol.note,
    )


def session_windows(course: Course, done: Sequence[date]) -> Course:
    """The same course with windows re-flowed from the actual dates of done sessions."""
    return plan_course(course.indication, course.severity, start=course.start, done=done)
