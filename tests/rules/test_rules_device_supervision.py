"""Device licence, consumer devices, device maximum; supervision and roles."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import BASE, base, run


def device(**changes: Any) -> dict[str, Any]:
    d: dict[str, Any] = {**BASE["device"], **changes}
    return d


def licence(**changes: Any) -> dict[str, Any]:
    return {**BASE["device"]["licence"], **changes}


def test_licensed_device_passes() -> None:
    assert "device.not_licensed" not in run(base()).codes


@pytest.mark.parametrize(
    ("lic", "field"),
    [
        (None, "device.licence"),
        (licence(authority="FDA"), "device.licence.authority"),
        (licence(**{"class": 1}), "device.licence.class"),
        (licence(status="archived"), "device.licence.status"),
        (licence(end_date="2026-11-24"), "device.licence.end_date"),
        (licence(first_date="2026-11-26"), "device.licence.first_date"),
    ],
)
def test_not_licensed(lic: dict[str, Any] | None, field: str) -> None:
    r = run(base(device=device(licence=lic)))
    f = next(f for f in r.findings if f.code == "device.not_licensed")
    assert (r.verdict, f.field) == ("refuse", field)


def test_licence_dates_nearest_cases() -> None:
    ok = licence(first_date="2026-11-25", end_date="2026-11-25", **{"class": 3})
    assert "device.not_licensed" not in run(base(device=device(licence=ok))).codes


def test_us_needs_fda() -> None:
    r = run(base(jurisdiction="US"))
    assert "device.not_licensed" in r.codes
    ok = base(jurisdiction="US", device=device(licence=licence(authority="FDA")))
    assert "device.not_licensed" not in run(ok).codes


def test_epidermal_depth_needs_no_licence() -> None:
    d = base(
        practitioner={"role": "medical_aesthetician"},
        device=device(licence=None, intended_use="consumer"),
        zones=[{"zone": "cheek", "depth_mm": 0.02}],
    )
    r = run(d)
    assert r.verdict == "allow", r.codes


def test_consumer_beyond_epidermis() -> None:
    r = run(base(device=device(intended_use="consumer")))
    assert "device.consumer_beyond_epidermis" in r.codes and r.verdict == "refuse"
    shallow = base(
        device=device(intended_use="consumer"), zones=[{"zone": "cheek", "depth_mm": 0.025}]
    )
    assert "device.consumer_beyond_epidermis" not in run(shallow).codes


def test_device_depth_exceeded() -> None:
    r = run(base(device=device(max_depth_mm=0.5), zones=[{"zone": "cheek", "depth_mm": 0.6}]))
    f = next(f for f in r.findings if f.code == "device.depth_exceeded")
    assert f.field == "zones[0].depth_mm" and r.verdict == "refuse"
    at = base(device=device(max_depth_mm=0.6), zones=[{"zone": "cheek", "depth_mm": 0.6}])
    assert "device.depth_exceeded" not in run(at).codes


def test_device_max_depth_unknown_is_review() -> None:
    r = run(base(device=device(max_depth_mm=None)))
    assert r.codes == ("device.max_depth_unknown",) and r.verdict == "review"


def test_supervision_required_for_dermis() -> None:
    d = base(practitioner={"role": "registered_nurse", "supervising_physician": None})
    r = run(d)
    f = next(f for f in r.findings if f.code == "supervision.required")
    assert (r.verdict, f.field) == ("refuse", "practitioner.supervising_physician")
    d["practitioner"]["supervising_physician"] = {"name": "Dr. Roy", "id": 7}
    assert run(d).verdict == "allow"


@pytest.mark.parametrize("role", ["nurse_practitioner", "registered_nurse", "medical_aesthetician"])
def test_non_physician_roles_stay_epidermal(role: str) -> None:
    shallow = base(practitioner={"role": role}, zones=[{"zone": "forehead", "depth_mm": 0.02}])
    assert run(shallow).verdict == "allow"
    deep = base(practitioner={"role": role}, zones=[{"zone": "forehead", "depth_mm": 0.25}])
    assert "supervision.required" in run(deep).codes


@pytest.mark.parametrize("indication", ["acne_scars", "other_scars", "stretch_marks"])
def test_medical_indication_needs_physician_even_when_epidermal(indication: str) -> None:
    d = base(
        indication=indication,
        practitioner={"role": "medical_aesthetician"},
        zones=[{"zone": "abdomen", "depth_mm": 0.05}],
    )
    assert "supervision.required" in run(d).codes
    d["indication"] = "tone"
    assert "supervision.required" not in run(d).codes


@pytest.mark.parametrize("role", ["front_desk", "clinic_admin"])
def test_not_clinical(role: str) -> None:
    r = run(base(practitioner={"role": role, "supervising_physician": {"name": "Dr. X"}}))
    assert r.verdict == "refuse"
    assert "practitioner.not_clinical" in r.codes
    assert "supervision.required" not in r.codes


def test_us_labelling_notes() -> None:
    young = base(
        jurisdiction="US",
        patient={"birth_date": "2006-01-01"},
        device=device(licence=licence(authority="FDA")),
    )
    r = run(young)
    assert "device.label_age" in r.codes and r.verdict == "allow"
    assert "device.label_age" not in run(base(patient={"birth_date": "2006-01-01"})).codes
    neck = base(
        jurisdiction="US",
        indication="wrinkles",
        patient={"birth_date": "1970-01-01", "phototype": 6},
        device=device(licence=licence(authority="FDA")),
        zones=[{"zone": "neck", "depth_mm": 1.0}],
    )
    assert "device.label_phototype" in run(neck).codes
    neck["patient"]["phototype"] = 3
    assert "device.label_phototype" not in run(neck).codes


def test_ontario_below_dermis_note() -> None:
    r = run(base(jurisdiction="CA-ON"))
    assert "jurisdiction.below_dermis" in r.codes and r.verdict == "allow"
    assert "jurisdiction.below_dermis" not in run(base(jurisdiction="CA-QC")).codes
    shallow = base(jurisdiction="CA-AB", zones=[{"zone": "cheek", "depth_mm": 0.5}])
    assert "jurisdiction.below_dermis" not in run(shallow).codes
