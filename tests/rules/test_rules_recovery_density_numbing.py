"""Downtime, aftercare, puncture density and the numbing-dose check."""

from __future__ import annotations

import pytest

from puncta.rules import (
    PenSpec,
    RollerSpec,
    RulesInputError,
    Technique,
    aftercare,
    check_numbing,
    downtime,
    puncture_density,
)


@pytest.mark.parametrize(
    ("depth", "days"),
    [
        (0.1, (2, 3)),
        (0.25, (2, 3)),
        (0.5, (2, 3)),
        (0.6, (4, 5)),
        (1.0, (4, 5)),
        (1.5, (4, 5)),
        (1.75, (6, 7)),
        (2.5, (6, 7)),
        (3.0, (6, 7)),
        (5.0, (6, 7)),
    ],
)
def test_downtime_bands(depth: float, days: tuple[int, int]) -> None:
    d = downtime(depth)
    assert (d.min_days, d.max_days) == days and d.source


@pytest.mark.parametrize("bad", [0, -1, 5.1, float("nan"), "1.5", True])
def test_downtime_rejects_bad_depth(bad: object) -> None:
    with pytest.raises(RulesInputError):
        downtime(bad)  # type: ignore[arg-type]


def test_aftercare_items_bilingual() -> None:
    items = aftercare(1.5)
    codes = [i.code for i in items]
    assert {"no_cosmetics", "sunscreen", "avoid_sun", "no_swimming", "no_actives"} <= set(codes)
    for i in items:
        assert i.en and i.fr and i.source and i.duration_hours
    actives = next(i for i in items if i.code == "no_actives")
    assert actives.duration_hours == 5 * 24 and "5" in actives.en and "5" in actives.fr
    assert next(i for i in aftercare(2.5) if i.code == "no_actives").duration_hours == 7 * 24


def test_roller_density_matches_reference_example() -> None:
    est = puncture_density(RollerSpec(192, 2.0, 2.0), Technique(15))
    assert 225 < est.per_cm2 < 235  # reference: ~230/cm²
    assert est.decision.codes == ("density.below_target",)
    assert est.decision.verdict == "allow" and est.derived


def test_density_in_and_above_target() -> None:
    inside = puncture_density(RollerSpec(192, 2.0, 2.0), Technique(18))
    assert inside.decision.codes == ()
    pen = puncture_density(PenSpec(12, 120, 5.0, 0.8), Technique(2))
    assert pen.per_pass_cm2 == pytest.approx(360.0)
    assert pen.decision.codes == ("density.above_target",)
    assert pen.decision.findings[0].severity == "note"


def test_density_rejects_nonsense() -> None:
    with pytest.raises(RulesInputError):
        puncture_density(PenSpec(12, 120, 0, 0.8), Technique(2))


def test_numbing_within_limits() -> None:
    assert check_numbing("emla", 30, 200, occluded=True).verdict == "allow"


def test_numbing_area_and_dose() -> None:
    area = check_numbing("emla", 55, 601, occluded=False)
    assert area.codes == ("numbing.area_exceeded",) and area.verdict == "review"
    assert check_numbing("emla", 60, 600, occluded=False).codes == ()
    dose = check_numbing("emla", 61, 600, occluded=False)
    assert dose.codes == ("numbing.dose_exceeded",)
    heavy = check_numbing("emla", 20, 50, occluded=False)
    assert heavy.codes == ("numbing.dose_above_guide",)


def test_numbing_occlusion_and_broken_skin() -> None:
    big = check_numbing("lidocaine_tetracaine", 60, 450, occluded=True)
    assert "numbing.occlusion_large_area" in big.codes
    open_air = check_numbing("lidocaine_tetracaine", 60, 450, occluded=False)
    assert "numbing.occlusion_large_area" not in open_air.codes
    broken = check_numbing("emla", 10, 100, occluded=False, broken_skin=True)
    assert broken.codes == ("numbing.broken_skin",)


def test_numbing_children_and_exclusions() -> None:
    assert check_numbing("emla", 10, 100, occluded=False, adult=False).codes == (
        "numbing.paediatric",
    )
    excl = check_numbing(
        "emla", 10, 100, occluded=False, exclusions=["liver_disease", "keloid_history"]
    )
    assert excl.codes == ("numbing.liver_disease",) and excl.verdict == "refuse"


def test_numbing_bad_input() -> None:
    with pytest.raises(RulesInputError) as e:
        check_numbing("ice", 10, 100, occluded=False)
    assert e.value.field == "product"
    with pytest.raises(RulesInputError):
        check_numbing("emla", -1, 100, occluded=False)


def test_precare_items_are_sourced_and_bilingual() -> None:
    from puncta.rules import precare

    items = precare()
    codes = {i.code for i in items}
    assert "stop_retinoids_acids" in codes
    for item in items:
        assert item.en and item.fr and item.source
        assert item.starts_after_hours <= 0  # before the session
    retinoids = next(i for i in items if i.code == "stop_retinoids_acids")
    assert "unverified" in retinoids.source
