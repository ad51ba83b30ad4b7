"""Issue 11 item 5: the rows that were missing (retinoids, laser, peels, botulinum toxin,
sunburn, immunosuppression, autoimmune disease) trigger inside their window, in their
zone, and not after it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import base, run
from puncta.rules import codes, screen
from puncta.rules.data import rules_data
from puncta.rules.dates import add_months
from puncta.rules.parse import patient_from_dict

ON = date(2026, 11, 25)
ADULT = {"birth_date": "1985-06-15", "phototype": 3}

# code -> (category, window as ("days"|"months", n), severity when inside)
NEW_ROWS: dict[str, tuple[str, tuple[str, int], str]] = {
    "topical_retinoid": ("medication", ("days", 7), "review"),
    "immunosuppressant": ("medication", ("days", 90), "review"),
    "laser_ablative": ("procedure", ("months", 3), "review"),
    "laser_non_ablative": ("procedure", ("days", 21), "review"),
    "chemical_peel_medium_deep": ("procedure", ("months", 3), "review"),
    "botulinum_toxin": ("procedure", ("months", 3), "review"),
}
UNDATED = {"sunburn": "refuse", "immunosuppression": "review", "autoimmune_disease": "review"}


def _window_start(window: tuple[str, int]) -> date:
    unit, n = window
    return ON - timedelta(days=n) if unit == "days" else add_months(ON, -n)


def _patient(code: str, when: date | None, zone: str | None = "cheek_left") -> dict[str, Any]:
    category = NEW_ROWS[code][0] if code in NEW_ROWS else "condition"
    p: dict[str, Any] = dict(ADULT)
    if category == "medication":
        p["medications"] = [{"code": code, "last_dose": when.isoformat() if when else None}]
    elif category == "procedure":
        assert when is not None
        p["procedures"] = [{"code": code, "zone": zone, "on": when.isoformat()}]
    else:
        p["conditions"] = [{"code": code, "zone": zone}]
    return p


def _codes(patient: dict[str, Any], zone: str = "cheek_left") -> tuple[str, ...]:
    return run(base(patient=patient, zones=[{"zone": zone, "depth_mm": 1.0}])).codes


def test_every_new_row_is_a_code_with_a_source_and_both_languages() -> None:
    data = rules_data().contras
    c = codes()
    listed = {r["code"] for k in ("conditions", "medications", "procedures") for r in c[k]}
    for code in [*NEW_ROWS, *UNDATED]:
        row = data[code]
        assert code in listed
        assert row.source and row.en and row.fr and row.en != row.fr
    # Rows where sources differ or no primary source exists say so in their source.
    for code in ("topical_retinoid", "botulinum_toxin", "immunosuppression"):
        assert "[" in data[code].source, code


@pytest.mark.parametrize("code", list(NEW_ROWS))
def test_triggers_on_the_window_edge_and_not_the_day_before(code: str) -> None:
    _, window, severity = NEW_ROWS[code]
    start = _window_start(window)
    inside = run(base(patient=_patient(code, start)))
    assert f"contraindication.{code}" in inside.codes
    assert inside.verdict == severity
    outside = run(base(patient=_patient(code, start - timedelta(days=1))))
    assert f"contraindication.{code}" not in outside.codes
    assert outside.verdict == "allow", outside.codes


@given(st.sampled_from(sorted(NEW_ROWS)), st.integers(min_value=0, max_value=800))
def test_window_property(code: str, days_ago: int) -> None:
    """Inside the window (and not in the future) it triggers; before it, never."""
    _, window, _ = NEW_ROWS[code]
    when = ON - timedelta(days=days_ago)
    found = f"contraindication.{code}" in _codes(_patient(code, when))
    assert found == (when >= _window_start(window))


@pytest.mark.parametrize(
    "code", ["laser_ablative", "laser_non_ablative", "chemical_peel_medium_deep", "botulinum_toxin"]
)
def test_procedures_apply_to_their_zone_only(code: str) -> None:
    recent = ON - timedelta(days=7)
    assert f"contraindication.{code}" in _codes(_patient(code, recent, "cheek"))
    assert f"contraindication.{code}" not in _codes(_patient(code, recent, "forehead"))
    assert f"contraindication.{code}" not in _codes(_patient(code, recent, "cheek_right"))
    # A planned procedure (after the session) is not a contraindication today.
    assert f"contraindication.{code}" not in _codes(_patient(code, ON + timedelta(days=3)))


def test_medications_without_a_last_dose_are_current() -> None:
    for code in ("topical_retinoid", "immunosuppressant"):
        assert f"contraindication.{code}" in _codes(_patient(code, None))


@pytest.mark.parametrize(("code", "verdict"), sorted(UNDATED.items()))
def test_conditions(code: str, verdict: str) -> None:
    # Recorded without a zone (today's question), it applies to every treated zone.
    d = run(base(patient=_patient(code, None, zone=None)))
    assert f"contraindication.{code}" in d.codes and d.verdict == verdict


def test_sunburn_refuses_its_area_only_and_for_14_days() -> None:
    assert run(base(patient=_patient("sunburn", None, "cheek"))).verdict == "refuse"
    assert run(base(patient=_patient("sunburn", None, "back"))).verdict == "allow"

    def dated(days_ago: int) -> str:
        onset = (ON - timedelta(days=days_ago)).isoformat()
        p = {**ADULT, "conditions": [{"code": "sunburn", "onset": onset}]}
        return run(base(patient=p)).verdict

    assert dated(0) == dated(14) == "refuse"
    assert dated(15) == "allow"


def test_retinoid_finding_says_seven_days_in_both_languages() -> None:
    d = run(base(patient=_patient("topical_retinoid", None)))
    f = next(f for f in d.findings if f.code == "contraindication.topical_retinoid")
    assert f.severity == "review" and "7" in f.message and "7" in f.message_fr
    assert f.message != f.message_fr
    assert "derived" in f.source and "unverified" in f.source


def test_screen_at_intake_sees_the_new_rows() -> None:
    patient = patient_from_dict(
        {**ADULT, "medications": [{"code": "topical_retinoid"}],
         "procedures": [{"code": "botulinum_toxin", "on": "2026-11-01", "zone": "forehead"}]}
    )
    # Without zones (intake), area rows apply everywhere: conservative.
    d = screen(patient, on=ON)
    assert {"contraindication.topical_retinoid", "contraindication.botulinum_toxin"} <= set(d.codes)
    assert d.verdict == "review"
