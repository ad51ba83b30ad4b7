"""Zone codes: `cheek_left` -> ZoneRef("cheek", "left"); unknown codes are malformed."""

from __future__ import annotations

from functools import cache

from .data import ZoneInfo, rules_data
from .model import RulesInputError, ZoneRef

_SIDES = ("left", "right")


@cache
def _parse(code: str) -> ZoneRef | None:
    zones = rules_data().zones
    if code in zones:
        return ZoneRef(code)
    base, _, side = code.rpartition("_")
    if side in _SIDES and base in zones:
        return ZoneRef(base, side)
    return None


def parse_zone(code: object, field: str = "zone") -> ZoneRef:
    if not isinstance(code, str):
        raise RulesInputError(field, "must be a zone code string")
    ref = _parse(code)
    if ref is None:
        raise RulesInputError(
            field, f"unknown zone {code!r} (see `puncta rules codes` for the zone list)"
        )
    return ref


def zone_info(zone: ZoneRef | str) -> ZoneInfo:
    ref = parse_zone(zone) if isinstance(zone, str) else zone
    return rules_data().zones[ref.base]


@cache
def zone_label(zone: ZoneRef, lang: str = "en") -> str:
    info = rules_data().zones[zone.base]
    label = info.en if lang == "en" else info.fr
    if zone.side is None:
        return label
    side = {"en": {"left": "left", "right": "right"}, "fr": {"left": "gauche", "right": "droite"}}
    return f"{label} ({side['en' if lang == 'en' else 'fr'][zone.side]})"
