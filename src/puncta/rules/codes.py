"""Every code the app needs to build its forms, with English and French labels."""

from __future__ import annotations

from functools import cache
from typing import Any

from .data import RULES_VERSION, rules_data


@cache
def codes() -> dict[str, Any]:
    """Built once per process (the data files do not change while it runs); read-only."""
    data = rules_data()

    def contras(category: str) -> list[dict[str, Any]]:
        return [
            {
                "code": r.code,
                "kind": r.kind,
                "scope": r.scope,
                "numbing_excluded": r.numbing,
                "en": r.en,
                "fr": r.fr,
                "source": r.source,
            }
            for r in data.contras.values()
            if r.category == category
        ]

    return {
        "rules_version": RULES_VERSION,
        "conditions": contras("condition"),
        "medications": contras("medication"),
        "procedures": contras("procedure"),
        "zones": [
            {
                "code": z.code,
                "en": z.en,
                "fr": z.fr,
                "region": z.region,
                "sides": ["left", "right"],
                "orbital_rim": z.orbital_rim,
                "ceiling_mm": data.ceilings[z.code].max_mm if not z.orbital_rim else None,
            }
            for z in data.zones.values()
        ],
        "indications": [
            {
                "code": p.indication,
                "en": p.en,
                "fr": p.fr,
                "medical": p.medical,
                "severities": list(p.sessions),
            }
            for p in data.protocols.values()
        ],
        "roles": [
            {
                "code": r.code,
                "en": r.en,
                "fr": r.fr,
                "clinical": r.clinical,
                "physician": r.physician,
            }
            for r in data.roles.values()
        ],
        "jurisdictions": [
            {"code": j.code, "authority": j.authority, "min_device_class": j.min_device_class}
            for j in data.jurisdictions.values()
        ],
        "numbing_products": [
            {"code": p.code, "en": p.en, "fr": p.fr} for p in data.numbing_products.values()
        ],
        "severities": ["refuse", "review", "note"],
    }
