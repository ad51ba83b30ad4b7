"""Spacing between sessions, from the course protocol data.

Every signed session of the patient counts, whatever its course or indication: skin
treated on Monday for acne scars is the same skin on Tuesday for fine lines. A session
counts against the one proposed when their zones overlap (a session with unknown zones
overlaps everything: the conservative reading). The same zone twice on one day is refused;
inside the protocol's minimum spacing a physician reviews; drift past the maximum spacing
is a note while the initial series is under way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from .data import rules_data
from .findings import make
from .model import Finding, PreviousSession, ZoneRef
from .zones import zone_label

DEFAULT_SEVERITY = "moderate"


def check_interval(
    on: date,
    previous: Sequence[PreviousSession],
    indication: str,
    severity: str | None,
    zones: Sequence[ZoneRef] = (),
) -> list[Finding]:
    zone_set = tuple(zones)
    relevant = [
        i for i, p in enumerate(previous) if p.on <= on and (not zone_set or p.overlaps(zone_set))
    ]
    if not relevant:
        return []
    protocol = rules_data().protocols[indication]
    idx = max(relevant, key=lambda i: previous[i].on)
    last = previous[idx]
    days = (on - last.on).days
    field = f"previous_sessions[{idx}]"
    if days == 0:
        shared = _shared_zone(last, zone_set)
        return [
            make(
                "interval.same_day",
                field,
                zone=zone_label(shared) if shared else "",
                zone_fr=zone_label(shared, "fr") if shared else "",
                previous=last.on.isoformat(),
                min=protocol.min_interval_days,
                source=protocol.source,
            )
        ]
    if days < protocol.min_interval_days:
        return [
            make(
                "interval.too_short",
                field,
                days=days,
                previous=last.on.isoformat(),
                min=protocol.min_interval_days,
                source=protocol.source,
            )
        ]
    series = protocol.sessions.get(severity or DEFAULT_SEVERITY, max(protocol.sessions.values()))
    # Drift matters only inside the initial series; after it, sessions are maintenance.
    if days > protocol.max_interval_days and len(relevant) < series:
        return [
            make(
                "interval.drift",
                field,
                days=days,
                previous=last.on.isoformat(),
                max=protocol.max_interval_days,
                source=protocol.source,
            )
        ]
    return []


def _shared_zone(prev: PreviousSession, zones: tuple[ZoneRef, ...]) -> ZoneRef | None:
    for z in zones:
        if not prev.zones or any(z.overlaps(p) for p in prev.zones):
            return z
    return None
