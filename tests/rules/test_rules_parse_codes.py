"""Input parsing, codes(), version and purity of the package."""

from __future__ import annotations

import pathlib
import re
from typing import Any

import pytest

import puncta.rules
from conftest import base, run
from puncta.rules import RULES_VERSION, RulesInputError, codes, proposal_from_dict

SRC = pathlib.Path(puncta.rules.__file__).parent


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"on": "25/11/2026"}, "on"),
        ({"jurisdiction": "XX"}, "jurisdiction"),
        ({"jurisdiction": "canada"}, "jurisdiction"),
        ({"indication": "tattoo"}, "indication"),
        ({"zones": []}, "zones"),
        ({"zones": [{"zone": "cheek", "depth_mm": "1.5"}]}, "zones[0].depth_mm"),
        ({"zones": [{"zone": "cheek", "depth_mm": -0.5}]}, "zones[0].depth_mm"),
        ({"zones": [{"zone": "cheek", "depth_mm": 15}]}, "zones[0].depth_mm"),
        ({"zones": [{"zone": "cheek", "depth_um": 1500}]}, "zones[0].depth_um"),
        ({"practitioner": {"role": "janitor"}}, "practitioner.role"),
        (
            {"practitioner": {"role": "physician", "supervising_physician": "Dr"}},
            "practitioner.supervising_physician",
        ),
        ({"device": {"intended_use": "home"}}, "device.intended_use"),
        ({"patient": {"birth_date": "2030-01-01"}}, "patient.birth_date"),
        ({"patient": {"birth_date": "1990-01-01", "phototype": 7}}, "patient.phototype"),
        ({"patient": {"birth_date": "1990-01-01", "pregnant": "no"}}, "patient.pregnant"),
        (
            {
                "patient": {
                    "birth_date": "1990-01-01",
                    "medications": [{"code": "isotretinoin", "last_dose": "2026-02-30"}],
                }
            },
            "patient.medications[0].last_dose",
        ),
        ({"severity": "extreme"}, "severity"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_malformed_input_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(RulesInputError) as e:
        run(base(**changes))
    assert e.value.field == field
    assert str(e.value).startswith(f"{field}: ")


def test_missing_field() -> None:
    d = base()
    del d["device"]
    with pytest.raises(RulesInputError) as e:
        proposal_from_dict(d)
    assert e.value.field == "device"


def test_not_an_object() -> None:
    with pytest.raises(RulesInputError):
        proposal_from_dict([1, 2])


def test_defaults() -> None:
    p = proposal_from_dict(base())
    assert p.patient.conditions == () and p.previous_sessions == ()
    assert not p.patient.pregnant and p.settings.isotretinoin_washout_months == 6


def test_codes_lists_everything_bilingual() -> None:
    c = codes()
    kinds = {row["kind"] for key in ("conditions", "medications", "procedures") for row in c[key]}
    assert kinds == {"absolute", "relative", "numbing_only"}
    zone_codes = {z["code"] for z in c["zones"]}
    assert {
        "forehead",
        "glabella",
        "temple",
        "periorbital",
        "eyelid",
        "nose",
        "cheek",
        "upper_lip",
        "perioral",
        "chin",
        "jawline",
        "neck",
        "decolletage",
        "abdomen",
        "back",
        "arm",
        "thigh",
        "buttock",
    } <= zone_codes
    assert {i["code"] for i in c["indications"]} == {
        "fine_lines",
        "wrinkles",
        "tone",
        "texture",
        "acne_scars",
        "other_scars",
        "stretch_marks",
        "pigmentation",
    }
    assert {r["code"] for r in c["roles"]} == {
        "physician",
        "nurse_practitioner",
        "registered_nurse",
        "medical_aesthetician",
        "front_desk",
        "clinic_admin",
    }
    for key in ("conditions", "medications", "procedures", "zones", "indications", "roles"):
        for row in c[key]:
            assert row["en"] and row["fr"], row


def test_rules_version_is_short_hash_and_in_output() -> None:
    assert re.fullmatch(r"[0-9a-f]{12}", RULES_VERSION)
    assert run(base()).rules_version == RULES_VERSION


def test_every_data_row_has_a_source() -> None:
    import tomllib

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            leaf_values = [v for v in node.values() if not isinstance(v, dict | list)]
            if "source" in node:
                return  # a row; its inline tables belong to it
            if leaf_values:
                pytest.fail(f"no source: {path}")
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    for f in sorted((SRC / "data").glob("*.toml")):
        data = tomllib.loads(f.read_text("utf-8"))
        for key, value in data.items():
            walk(value, f"{f.name}.{key}")


def test_package_is_pure() -> None:
    for f in SRC.rglob("*.py"):
        text = f.read_text("utf-8")
        assert not re.search(r"^\s*(from|import)\s+django", text, re.M), f
        assert not re.search(r"^\s*from\s+puncta\.(?!rules)", text, re.M), f
        assert "date.today" not in text and "datetime.now" not in text, f
