"""Licence numbers, verification on a date, device licence state and rules facts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from puncta import facts, rules
from puncta.devices.licensing import licence_state
from puncta.devices.models import Device, Licence, normalise_licence_number
from puncta.devices.selectors import licence_verify, registry_search
from puncta.devices.services import device_create, licence_link

from .conftest import TODAY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("authority, text, expected", [
    ("HC", " 0099 001 ", "99001"), ("HC", 99001, "99001"), ("HC", "00-99001", "99001"),
    ("FDA", "k20 2243", "K202243"), ("FDA", "DEN160029", "DEN160029"),
])
def test_licence_numbers_are_normalised(authority, text, expected):
    assert normalise_licence_number(authority, text) == expected


@pytest.mark.parametrize("authority, text", [("HC", "K202243"), ("HC", ""), ("FDA", "12")])
def test_bad_licence_numbers_are_refused(authority, text):
    with pytest.raises(ValueError):
        normalise_licence_number(authority, text)


def test_verify_active_class_two(registry):
    result = licence_verify(" 099001", TODAY)
    assert result["found"] and result["active"] and result["class"] == 2
    assert result["licensed_for_medical_microneedling"] is True
    assert result["trade_names"] == ["DEMOPEN 12-NEEDLE STERILE CARTRIDGE",
                                     "DEMOPEN PRO HANDPIECE"]
    assert result["company"] == "DEMO AESTHETIC DEVICES INC."


def test_verify_licence_that_ended_yesterday(registry):
    from puncta.devices.models import RegistryLicence

    RegistryLicence.objects.filter(original_licence_no=99002).update(
        end_date=TODAY - dt.timedelta(days=1))
    today = licence_verify("99002", TODAY)
    assert today["found"] and not today["active"]
    assert not today["licensed_for_medical_microneedling"]
    assert "ended" in today["reasons"][0]
    assert licence_verify("99002", TODAY - dt.timedelta(days=1))["active"] is True


def test_verify_class_one_is_not_licensed_for_microneedling(registry):
    result = licence_verify("99003", TODAY)
    assert result["active"] and result["class"] == 1
    assert not result["licensed_for_medical_microneedling"]
    assert "Class II" in result["reasons"][0]


def test_verify_not_found(registry):
    assert licence_verify("12345", TODAY)["found"] is False
    assert licence_verify("abc", TODAY)["found"] is False


def test_registry_search_by_number_name_and_trade_name(registry):
    assert [r.original_licence_no for r in registry_search("0099 001")] == [99001]
    assert [r.original_licence_no for r in registry_search("oldpen")] == [99002]
    assert [r.original_licence_no for r in registry_search("roller")] == [99003]


def test_hc_licence_must_be_in_registry(personas, registry, actor):
    with pytest.raises(ValidationError, match="not in the imported"):
        licence_link(actor=actor, clinic_id=personas.clinic.pk, authority="HC", number="777")


def _device(personas, actor, **kw):
    fields = {"kind": "pen", "manufacturer": "M", "model_name": "X", "serial_number": "S",
              "max_depth_mm": Decimal("2.0")} | kw
    return device_create(actor=actor, clinic_id=personas.clinic.pk, **fields)


def test_device_states(personas, registry, actor, pen):
    assert licence_state(pen, TODAY).code == "licensed"
    consumer = _device(personas, actor, serial_number="C", intended_use="consumer",
                       licence=pen.licence)
    assert licence_state(consumer, TODAY).code == "consumer"
    bare = _device(personas, actor, serial_number="B")
    assert licence_state(bare, TODAY).code == "not_licensed"
    class1 = licence_link(actor=actor, clinic_id=personas.clinic.pk, authority="HC",
                          number="99003")
    roller = _device(personas, actor, serial_number="R", kind="roller", licence=class1)
    assert licence_state(roller, TODAY).code == "not_licensed"
    Licence.objects.filter(pk=pen.licence_id).update(end_date=TODAY - dt.timedelta(days=1))
    pen = Device.objects.select_related("licence").get(pk=pen.pk)
    state = licence_state(pen, TODAY)
    assert state.code == "expired" and state.css == "warn"


def test_fda_clearance_is_typed_in(personas, actor):
    lic = licence_link(actor=actor, clinic_id=personas.clinic.pk, authority="FDA",
                       number="den 160029", product_code="QAI", regulation_number="878.4430",
                       device_class=2, first_date=dt.date(2018, 3, 1))
    assert lic.number == "DEN160029" and lic.product_code == "QAI"
    device = _device(personas, actor, licence=lic)
    # Cleared by the FDA: licensed in a US clinic, not in Canada (Health Canada licences).
    assert licence_state(device, TODAY, "US").licensed
    assert not licence_state(device, TODAY, "CA-ON").licensed


def test_rules_facts_shape(pen):
    d = facts.device(pen, TODAY)
    assert d == rules.Device(
        intended_use="professional",
        licence=rules.Licence(authority="HC", number="99001", device_class=2, status="active",
                              first_date=dt.date(2019, 3, 14), end_date=None),
        max_depth_mm=2.5,
    )
    assert facts.device(pen, dt.date(2019, 3, 13)).licence.status == "inactive"


def test_device_list_shows_the_rules_verdict_including_the_authority(personas, pen):
    """An FDA-cleared device in a Canadian clinic is not licensed there: the device list
    and the rules agree (they once disagreed: the list ignored the authority)."""
    from puncta.devices.licensing import licence_state

    assert licence_state(pen, TODAY, "CA-ON").code == "licensed"
    lic = pen.licence
    lic.authority = "FDA"
    state = licence_state(pen, TODAY, "CA-ON")
    assert state.code == "not_licensed" and not state.licensed
    assert any("FDA" in r for r in state.reasons)
    session = rules.check_session(facts.session(
        clinic=personas.clinic, on=TODAY, indication="acne_scars", severity=None,
        patient=rules.Patient(birth_date=dt.date(1990, 1, 1)),
        practitioner=facts.practitioner("physician"), device=facts.device(pen, TODAY),
        zones=facts.zones([("cheek_left", "1.5", 3)])))
    assert "device.not_licensed" in session.codes


def test_duplicate_serial_in_one_clinic_is_refused(personas, actor, pen):
    with pytest.raises(ValidationError) as exc:
        _device(personas, actor, serial_number=" SN-1 ")
    assert "serial_number" in exc.value.message_dict
    # Another clinic may own a device with the same serial.
    device_create(actor=actor, clinic_id=personas.other_clinic.pk, kind="pen",
                  manufacturer="M", model_name="X", serial_number="SN-1",
                  max_depth_mm=Decimal("1"))


def test_duplicate_serial_is_also_a_database_constraint(personas, pen):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Device.objects.create(clinic=personas.clinic, kind="pen", manufacturer="M",
                              model_name="X", serial_number="SN-1", max_depth_mm=1)
