"""Screening: absolute/relative contraindications, windows, areas, numbing, age."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from conftest import base, run
from puncta.rules import RulesInputError, Settings, patient_from_dict, screen
from puncta.rules.model import ZoneRef

ON = date(2026, 11, 25)


def patient(**extra: Any) -> dict[str, Any]:
    return {"birth_date": "1985-06-15", **extra}


def codes_for(**extra: Any) -> tuple[str, ...]:
    return run(base(patient=patient(**extra))).codes


@pytest.mark.parametrize(
    "code",
    [
        "bleeding_disorder",
        "uncontrolled_diabetes",
        "systemic_infection",
        "stainless_steel_allergy",
        "skin_cancer",
    ],
)
def test_absolute_condition_refuses(code: str) -> None:
    r = run(base(patient=patient(conditions=[{"code": code}])))
    f = next(f for f in r.findings if f.code == f"contraindication.{code}")
    assert (r.verdict, f.severity, f.field) == ("refuse", "refuse", "patient.conditions[0]")


@pytest.mark.parametrize("code", ["herpes_simplex_history", "keloid_history", "scleroderma"])
def test_relative_condition_reviews(code: str) -> None:
    r = run(base(patient=patient(conditions=[{"code": code}])))
    assert r.verdict == "review" and f"contraindication.{code}" in r.codes


def test_area_condition_side_aware() -> None:
    other_side = codes_for(conditions=[{"code": "active_infection", "zone": "cheek_right"}])
    assert "contraindication.active_infection" not in other_side
    same = codes_for(conditions=[{"code": "active_infection", "zone": "cheek_left"}])
    assert "contraindication.active_infection" in same
    both_sides = codes_for(conditions=[{"code": "active_infection", "zone": "cheek"}])
    assert "contraindication.active_infection" in both_sides
    no_zone = codes_for(conditions=[{"code": "active_infection"}])
    assert "contraindication.active_infection" in no_zone


def test_treated_zone_without_side_matches_either_side() -> None:
    d = base(
        patient=patient(conditions=[{"code": "eczema", "zone": "cheek_right"}]),
        zones=[{"zone": "cheek", "depth_mm": 1.0}],
    )
    assert "contraindication.eczema" in run(d).codes


def test_systemic_condition_ignores_zone() -> None:
    c = codes_for(conditions=[{"code": "bleeding_disorder", "zone": "back"}])
    assert "contraindication.bleeding_disorder" in c


def test_pregnancy_and_nursing_refuse_and_exclude_numbing() -> None:
    r = run(base(patient=patient(pregnant=True, nursing=True)))
    assert r.verdict == "refuse"
    assert {"contraindication.pregnancy", "contraindication.nursing"} <= set(r.codes)
    assert not r.numbing.allowed
    assert set(r.numbing.reasons) == {"numbing.pregnancy", "numbing.nursing"}
    # the boolean and a listed condition give one finding, not two
    r2 = run(base(patient=patient(pregnant=True, conditions=[{"code": "pregnancy"}])))
    assert r2.codes.count("contraindication.pregnancy") == 1


@pytest.mark.parametrize(
    "code",
    [
        "liver_disease",
        "pseudocholinesterase_deficiency",
        "paba_allergy",
        "sulphonamide_allergy",
        "methaemoglobinaemia",
    ],
)
def test_numbing_only_condition(code: str) -> None:
    r = run(base(patient=patient(conditions=[{"code": code}])))
    assert r.verdict == "allow"  # numbing findings are notes: the treatment stands
    assert r.codes == (f"numbing.{code}",)
    assert r.numbing.to_dict() == {"allowed": False, "reasons": [f"numbing.{code}"]}
    assert run(base()).numbing.to_dict() == {"allowed": True}


def test_antiarrhythmic_numbing_only() -> None:
    r = run(base(patient=patient(medications=[{"code": "antiarrhythmic", "last_dose": None}])))
    assert r.codes == ("numbing.antiarrhythmic",) and r.verdict == "allow"


def test_anaesthetic_allergy_is_absolute_and_numbing() -> None:
    r = run(base(patient=patient(conditions=[{"code": "anaesthetic_allergy"}])))
    assert {"contraindication.anaesthetic_allergy", "numbing.anaesthetic_allergy"} <= set(r.codes)


@pytest.mark.parametrize(
    ("last_dose", "severity"),
    [
        (None, "refuse"),
        ("2026-12-01", "refuse"),  # a dose after the session date: still taking
        ("2026-10-26", "refuse"),  # 30 days before: currently taking
        ("2026-10-25", "review"),  # 31 days before: washout
        ("2026-05-25", "review"),  # exactly 6 months: still within washout
        ("2026-05-24", None),  # washout over
    ],
)
def test_isotretinoin_windows(last_dose: str | None, severity: str | None) -> None:
    r = run(base(patient=patient(medications=[{"code": "isotretinoin", "last_dose": last_dose}])))
    found = [f for f in r.findings if f.code == "contraindication.isotretinoin"]
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_isotretinoin_washout_setting_tightens_only() -> None:
    d = base(patient=patient(medications=[{"code": "isotretinoin", "last_dose": "2026-03-01"}]))
    assert "contraindication.isotretinoin" not in run(d).codes
    d["settings"] = {"isotretinoin_washout_months": 12}
    assert "contraindication.isotretinoin" in run(d).codes
    d["settings"] = {"isotretinoin_washout_months": 3}
    with pytest.raises(RulesInputError) as e:
        run(d)
    assert e.value.field == "settings.isotretinoin_washout_months"


@pytest.mark.parametrize("code", ["chemotherapy", "high_dose_corticosteroid"])
def test_four_week_medications(code: str) -> None:
    recent = codes_for(medications=[{"code": code, "last_dose": "2026-10-28"}])
    old = codes_for(medications=[{"code": code, "last_dose": "2026-10-27"}])
    assert f"contraindication.{code}" in recent
    assert f"contraindication.{code}" not in old


def test_radiotherapy_window() -> None:
    assert "contraindication.radiotherapy" in codes_for(
        procedures=[{"code": "radiotherapy", "on": "2026-10-28"}]
    )
    assert "contraindication.radiotherapy" not in codes_for(
        procedures=[{"code": "radiotherapy", "on": "2026-10-27"}]
    )


def test_filler_in_area_within_6_months() -> None:
    inside = codes_for(procedures=[{"code": "filler", "zone": "cheek_left", "on": "2026-05-25"}])
    assert "contraindication.filler" in inside
    older = codes_for(procedures=[{"code": "filler", "zone": "cheek_left", "on": "2026-05-24"}])
    assert "contraindication.filler" not in older
    elsewhere = codes_for(procedures=[{"code": "filler", "zone": "upper_lip", "on": "2026-09-01"}])
    assert "contraindication.filler" not in elsewhere
    planned = codes_for(procedures=[{"code": "filler", "zone": "cheek", "on": "2026-12-01"}])
    assert "contraindication.filler" not in planned


def test_surgery_in_area_within_12_months() -> None:
    assert "contraindication.surgery" in codes_for(
        procedures=[{"code": "surgery", "zone": "cheek", "on": "2025-11-25"}]
    )
    assert "contraindication.surgery" not in codes_for(
        procedures=[{"code": "surgery", "zone": "cheek", "on": "2025-11-24"}]
    )


@pytest.mark.parametrize(
    ("code", "onset", "present"),
    [
        ("recent_scar", "2025-11-25", True),
        ("recent_scar", "2025-11-24", False),
        ("recent_scar", None, True),  # undated: assume recent
        ("recent_stretch_marks", "2026-01-01", True),
        ("facial_trauma", "2026-05-25", True),
        ("facial_trauma", "2026-05-24", False),
    ],
)
def test_dated_conditions(code: str, onset: str | None, present: bool) -> None:
    c = codes_for(conditions=[{"code": code, "zone": "cheek_left", "onset": onset}])
    assert (f"contraindication.{code}" in c) is present


def test_minor_needs_review() -> None:
    # Ontario: consent age 18 (on 2026-11-25 the first patient is one day short of 18).
    r = run(base(jurisdiction="CA-ON", patient=patient(birth_date="2008-11-26")))
    assert "age.minor" in r.codes and r.verdict == "review"
    assert "age.minor" not in run(base(jurisdiction="CA-ON",
                                       patient=patient(birth_date="2008-11-25"))).codes
    # British Columbia: 19 — the same 18-year-old is a minor there (the jurisdiction decides).
    assert "age.minor" in run(base(jurisdiction="CA-BC",
                                   patient=patient(birth_date="2008-11-25"))).codes


def test_screen_without_zones_applies_area_rows() -> None:
    p = patient_from_dict(patient(conditions=[{"code": "warts", "zone": "chin"}]))
    assert screen(p, on=ON).verdict == "refuse"
    assert screen(p, on=ON, zones=[ZoneRef("cheek")]).verdict == "allow"
    assert screen(p, on=ON, settings=Settings(isotretinoin_washout_months=12)).findings


def test_unknown_code_is_malformed() -> None:
    with pytest.raises(RulesInputError) as e:
        run(base(patient=patient(conditions=[{"code": "isotretinoin"}])))
    assert e.value.field == "patient.conditions[0].code"
