"""Which skin layer a set depth reaches, from histology (thinnest published epidermis).

The set depth is an upper bound of penetration (Kalluri 2011), so comparing it with the
thinnest epidermis is conservative for scope, device and supervision rules. Depths are
never refused by comparison with the dermis: protocols use 2.0-2.5 mm on cheeks and neck.
"""

from __future__ import annotations

from .model import Layer, ZoneRef
from .zones import zone_info


def layer_reached(zone: ZoneRef | str, depth_mm: float) -> Layer:
    return "dermis" if depth_mm > zone_info(zone).thickness.epidermis_mm else "epidermis"


def beyond_dermis(zone: ZoneRef | str, depth_mm: float) -> bool:
    """True when the set depth exceeds epidermis + thinnest dermis (informational only)."""
    t = zone_info(zone).thickness
    return depth_mm > t.epidermis_mm + t.dermis_mm
