"""The demo devices: two licensed pens, a consumer roller, cartridges, two lots; idempotent."""

from __future__ import annotations

import pytest

from puncta.devices.demo import seed_demo_devices
from puncta.devices.licensing import licence_state
from puncta.devices.models import CartridgeLot, Device

pytestmark = pytest.mark.django_db


def test_seed_demo_devices(personas):
    seed_demo_devices(personas.clinic)
    seed_demo_devices(personas.clinic)
    states = sorted(licence_state(d, d.created_at.date()).code
                    for d in Device.objects.filter(clinic=personas.clinic))
    assert states == ["consumer", "licensed", "licensed"]
    assert CartridgeLot.objects.filter(clinic=personas.clinic).count() == 2
