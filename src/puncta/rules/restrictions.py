"""Conditions a physician attached to a screening decision: earliest start, a maximum
depth, areas to avoid. Applied wherever the rules are asked (plan, booking, charting)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from .findings import fmt, make
from .model import Finding, Restrictions, ZoneTreatment
from .zones import zone_label


def check_restrictions(
    restrictions: Restrictions, on: date, zones: Sequence[ZoneTreatment]
) -> list[Finding]:
    r = restrictions
    if r.empty:
        return []
    out: list[Finding] = []
    if r.earliest_start is not None and on < r.earliest_start:
        out.append(make("restriction.before_start", "on", date=r.earliest_start.isoformat()))
    for i, zt in enumerate(zones):
        label, label_fr = zone_label(zt.zone), zone_label(zt.zone, "fr")
        if any(zt.zone.overlaps(a) for a in r.avoid_zones):
            out.append(make("restriction.zone", f"zones[{i}].zone", zone=label, zone_fr=label_fr))
        if r.max_depth_mm is not None and zt.depth_mm > r.max_depth_mm:
            out.append(
                make(
                    "restriction.depth",
                    f"zones[{i}].depth_mm",
                    zone=label,
                    zone_fr=label_fr,
                    depth=fmt(zt.depth_mm),
                    max=fmt(r.max_depth_mm),
                )
            )
    return out
