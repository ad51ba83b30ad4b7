"""Depth limits per zone: usual range per indication (review above) and ceiling (refuse)."""

from __future__ import annotations

from collections.abc import Sequence

from .data import Range, rules_data
from .findings import fmt, make
from .model import Finding, ZoneTreatment
from .zones import zone_label


def usual_range(zone_base: str, indication: str) -> Range:
    usual = rules_data().usual
    return usual.get((zone_base, indication)) or usual[(zone_base, "default")]


def check_depths(zones: Sequence[ZoneTreatment], indication: str) -> list[Finding]:
    data = rules_data()
    out: list[Finding] = []
    for i, zt in enumerate(zones):
        info = data.zones[zt.zone.base]
        label = zone_label(zt.zone)
        if info.orbital_rim:
            out.append(
                make(
                    "zone.orbital_rim",
                    f"zones[{i}].zone",
                    zone=label,
                    zone_fr=zone_label(zt.zone, "fr"),
                    source=info.source,
                )
            )
            continue  # no depth is acceptable there: the depth checks would only repeat it
        ceiling = data.ceilings[zt.zone.base]
        field = f"zones[{i}].depth_mm"
        if zt.depth_mm > ceiling.max_mm:
            out.append(
                make(
                    "depth.zone_maximum",
                    field,
                    zone=label,
                    zone_fr=zone_label(zt.zone, "fr"),
                    depth=fmt(zt.depth_mm),
                    max=fmt(ceiling.max_mm),
                    source=ceiling.source,
                )
            )
            continue
        usual = usual_range(zt.zone.base, indication)
        if zt.depth_mm > usual.max_mm:
            out.append(
                make(
                    "depth.above_guidance",
                    field,
                    zone=label,
                    zone_fr=zone_label(zt.zone, "fr"),
                    depth=fmt(zt.depth_mm),
                    min=fmt(usual.min_mm),
                    max=fmt(usual.max_mm),
                    source=usual.source,
                )
            )
    return out
