"""Fixtures for the rules tests. No Django anywhere in tests/rules."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from puncta.rules import SessionDecision, check_session, proposal_from_dict

# A proposal every rule allows: a physician, a licensed professional device, an adult,
# texture on the cheek within the usual range, no history.
BASE: dict[str, Any] = {
    "on": "2026-11-25",
    "jurisdiction": "CA",
    "indication": "texture",
    "patient": {"birth_date": "1985-06-15", "phototype": 2},
    "practitioner": {"role": "physician", "supervising_physician": None},
    "device": {
        "intended_use": "professional",
        "licence": {"authority": "HC", "number": "99001", "class": 2, "status": "active"},
        "max_depth_mm": 2.5,
    },
    "zones": [{"zone": "cheek_left", "depth_mm": 1.0, "passes": 4}],
}


def base(**changes: Any) -> dict[str, Any]:
    """A deep copy of BASE with top-level keys replaced."""
    d = copy.deepcopy(BASE)
    d.update(copy.deepcopy(changes))
    return d


def run(d: dict[str, Any]) -> SessionDecision:
    return check_session(proposal_from_dict(d))


@pytest.fixture
def proposal() -> Callable[..., dict[str, Any]]:
    return base


@pytest.fixture
def check() -> Callable[[dict[str, Any]], SessionDecision]:
    return run
