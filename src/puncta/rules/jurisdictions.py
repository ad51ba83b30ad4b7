"""Jurisdiction packs: `CA-ON` falls back to `CA`; an unknown country is malformed."""

from __future__ import annotations

import re

from .data import Jurisdiction, rules_data
from .model import RulesInputError

_CODE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")


def jurisdiction(code: object, field: str = "jurisdiction") -> Jurisdiction:
    if not isinstance(code, str) or not _CODE.match(code):
        raise RulesInputError(field, "must be a code like 'CA', 'CA-ON' or 'US'")
    packs = rules_data().jurisdictions
    if code in packs:
        return packs[code]
    country = code.split("-")[0]
    if country in packs:
        return packs[country]
    raise RulesInputError(field, f"unknown jurisdiction {code!r} (known: {', '.join(packs)})")


def min_device_class(code: str) -> int:
    """The lowest device class licensed for medical microneedling in the jurisdiction."""
    return jurisdiction(code).min_device_class
