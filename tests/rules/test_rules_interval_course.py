"""Session spacing and course planning."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from conftest import base, run
from puncta.rules import RulesInputError, plan_course, session_windows
from puncta.rules.data import rules_data


def test_interval_too_short_and_nearest() -> None:
    r = run(base(previous_sessions=["2026-10-15"]))  # 41 days
    f = next(f for f in r.findings if f.code == "interval.too_short")
    assert (r.verdict, f.field) == ("review", "previous_sessions[0]")
    assert "interval.too_short" not in run(base(previous_sessions=["2026-10-14"])).codes


def test_interval_uses_latest_session() -> None:
    r = run(base(previous_sessions=["2026-11-01", "2026-08-01"]))
    f = next(f for f in r.findings if f.code == "interval.too_short")
    assert f.field == "previous_sessions[0]"


def test_interval_drift_is_a_note() -> None:
    r = run(base(previous_sessions=["2026-09-29"]))  # 57 days
    assert r.codes == ("interval.drift",) and r.verdict == "allow"
    assert "interval.drift" not in run(base(previous_sessions=["2026-09-30"])).codes


def test_no_drift_after_the_series() -> None:
    done = ["2025-01-01", "2025-02-15", "2025-04-01", "2025-05-15"]  # 4 = texture series
    assert "interval.drift" not in run(base(previous_sessions=done)).codes
    assert "interval.drift" in run(base(previous_sessions=done[:3])).codes


def test_interval_numbers_come_from_data() -> None:
    p = rules_data().protocols["texture"]
    assert (p.min_interval_days, p.max_interval_days) == (42, 56)


def test_previous_session_after_on_is_malformed() -> None:
    with pytest.raises(RulesInputError) as e:
        run(base(previous_sessions=["2026-11-26"]))
    assert e.value.field == "previous_sessions[0]"


@pytest.mark.parametrize(
    ("indication", "severity", "count"),
    [
        ("acne_scars", "mild", 5),
        ("acne_scars", "severe", 6),
        ("texture", "mild", 3),
        ("wrinkles", "moderate", 4),
        ("fine_lines", "light", 1),
        ("stretch_marks", "severe", 6),
    ],
)
def test_course_lengths(indication: str, severity: str, count: int) -> None:
    c = plan_course(indication, severity, start=date(2026, 12, 1))
    assert len(c.sessions) == count


def test_course_windows() -> None:
    c = plan_course("acne_scars", "severe", start=date(2026, 12, 1))
    first, second = c.sessions[0], c.sessions[1]
    assert first.target == date(2026, 12, 1)
    assert second.earliest == first.target + timedelta(weeks=6)
    assert second.latest == first.target + timedelta(weeks=8)
    for a, b in zip(c.sessions, c.sessions[1:], strict=False):
        assert a.target < b.earliest <= b.target <= b.latest
    assert (c.maintenance.per_year_min, c.maintenance.per_year_max) == (1, 3)
    assert c.maintenance.earliest > c.sessions[-1].target


def test_windows_reflow_from_actual_dates() -> None:
    c = plan_course("texture", "moderate", start=date(2026, 12, 1))
    late = date(2026, 12, 20)
    again = session_windows(c, [late])
    assert again.sessions[0].done == late
    assert again.sessions[1].earliest == late + timedelta(days=42)
    assert again.sessions[1].latest == late + timedelta(days=56)
    assert again.sessions[2].earliest == again.sessions[1].target + timedelta(days=42)


def test_course_bad_input() -> None:
    with pytest.raises(RulesInputError) as e:
        plan_course("acne_scars", "light", start=date(2026, 12, 1))
    assert e.value.field == "severity"
    with pytest.raises(RulesInputError):
        plan_course("tattoo", "mild", start=date(2026, 12, 1))
    with pytest.raises(RulesInputError):
        plan_course(
            "tone", "mild", start=date(2026, 1, 1), done=[date(2026, 2, 1), date(2026, 1, 15)]
        )


def test_first_session_window_runs_from_start_for_the_booking_horizon() -> None:
    from datetime import date, timedelta

    from puncta.rules import plan_course

    course = plan_course("acne_scars", "moderate", start=date(2026, 12, 1))
    first = course.sessions[0]
    assert first.earliest == first.target == date(2026, 12, 1)
    assert first.latest == date(2026, 12, 1) + timedelta(days=28)
    # the second counts from the first's target (or its actual date once done)
    assert course.sessions[1].earliest == date(2026, 12, 1) + timedelta(days=42)
