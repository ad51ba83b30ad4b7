"""Device fixtures: the MDALL fixture files imported, a licensed pen, a cartridge and a lot."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from puncta.audit.services import Actor
from puncta.devices.mdall import parse
from puncta.devices.services import (
    cartridge_product_create,
    device_create,
    licence_link,
    lot_receive,
    registry_import,
)

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = dt.date(2025, 6, 1)


def fixture_files(*names: str):
    return [parse((FIXTURES / n).read_text(), name=n) for n in names]


@pytest.fixture
def actor(personas) -> Actor:
    m = personas.nurse
    return Actor(user=m.user, role=m.role, clinic_id=m.clinic_id)


@pytest.fixture
def registry(db):
    return registry_import(actor=Actor(label="test"),
                           files=fixture_files("licence.json", "device.json", "company.json"))


@pytest.fixture
def pen(personas, registry, actor):
    lic = licence_link(actor=actor, clinic_id=personas.clinic.pk, authority="HC",
                       number="99001")
    return device_create(actor=actor, clinic_id=personas.clinic.pk, kind="pen",
                         manufacturer="Demo", model_name="DemoPen Pro", serial_number="SN-1",
                         max_depth_mm=Decimal("2.5"), needle_counts=[12, 36], licence=lic)


@pytest.fixture
def cartridge(personas, actor):
    return cartridge_product_create(
        actor=actor, clinic_id=personas.clinic.pk, manufacturer="Demo", name="12-needle",
        needle_count=12, compatible_models=["DemoPen  PRO"])


@pytest.fixture
def lot(cartridge, actor):
    return lot_receive(actor=actor, product=cartridge, lot_number="L-100",
                       expiry=TODAY + dt.timedelta(days=30), quantity=3, received_on=TODAY)
