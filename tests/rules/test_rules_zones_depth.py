"""Layer reached, depth limits and zones."""

from __future__ import annotations

import pytest

from conftest import base, run
from puncta.rules import RulesInputError, layer_reached, parse_zone
from puncta.rules.model import ZoneRef


def zones(*items: tuple[str, float]) -> list[dict[str, object]]:
    return [{"zone": z, "depth_mm": d} for z, d in items]


@pytest.mark.parametrize(
    ("zone", "depth", "layer"),
    [
        ("cheek", 0.02, "epidermis"),
        ("cheek", 0.0296, "epidermis"),  # at the thinnest epidermis: still epidermis
        ("cheek", 0.03, "dermis"),
        ("cheek_right", 0.25, "dermis"),
        ("abdomen", 0.07, "epidermis"),
        ("abdomen", 0.1, "dermis"),
        ("neck", 2.5, "dermis"),
    ],
)
def test_layer_reached(zone: str, depth: float, layer: str) -> None:
    assert layer_reached(zone, depth) == layer


def test_dermis_depth_is_not_refused_by_dermis_thickness() -> None:
    # 2.0 mm on the cheek for acne scars exceeds the thinnest dermis, yet is allowed.
    r = run(base(indication="acne_scars", zones=zones(("cheek", 2.0))))
    assert r.verdict == "allow", r.codes
    assert r.zones[0].reaches == "dermis"


def test_depth_above_guidance_and_nearest_case() -> None:
    assert "depth.above_guidance" in run(base(zones=zones(("cheek", 1.1)))).codes
    assert "depth.above_guidance" not in run(base(zones=zones(("cheek", 1.0)))).codes


def test_above_guidance_is_review_with_field() -> None:
    r = run(base(zones=zones(("forehead", 0.5), ("forehead", 0.6))))
    f = next(f for f in r.findings if f.code == "depth.above_guidance")
    assert (r.verdict, f.severity, f.field) == ("review", "review", "zones[1].depth_mm")


def test_indication_specific_range() -> None:
    # 1.8 mm on the cheek: usual for acne scars, above guidance for texture.
    assert (
        "depth.above_guidance"
        not in run(base(indication="acne_scars", zones=zones(("cheek", 1.8)))).codes
    )
    assert "depth.above_guidance" in run(base(zones=zones(("cheek", 1.8)))).codes


@pytest.mark.parametrize(
    ("zone", "ceiling"),
    [("periorbital", 0.5), ("neck", 2.5), ("cheek", 2.0), ("forehead", 0.75), ("nose", 0.75)],
)
def test_zone_maximum(zone: str, ceiling: float) -> None:
    over = run(base(zones=zones((zone, round(ceiling + 0.05, 2)))))
    at = run(base(zones=zones((zone, ceiling))))
    assert "depth.zone_maximum" in over.codes and over.verdict == "refuse"
    assert "depth.zone_maximum" not in at.codes


def test_zone_maximum_replaces_above_guidance() -> None:
    r = run(base(zones=zones(("periorbital", 0.6))))
    assert r.codes.count("depth.zone_maximum") == 1
    assert "depth.above_guidance" not in r.codes


def test_stretch_marks_body_ranges() -> None:
    ok = run(base(indication="stretch_marks", zones=zones(("abdomen", 2.5))))
    assert ok.verdict == "allow", ok.codes
    general = run(base(indication="texture", zones=zones(("abdomen", 2.0))))
    assert "depth.above_guidance" in general.codes
    too_deep = run(base(indication="stretch_marks", zones=zones(("thigh", 2.6))))
    assert "depth.zone_maximum" in too_deep.codes


def test_orbital_rim_refused() -> None:
    r = run(base(zones=zones(("eyelid_left", 0.25))))
    assert r.verdict == "refuse"
    assert r.findings[0].code == "zone.orbital_rim"
    assert r.findings[0].field == "zones[0].zone"
    assert "zone.orbital_rim" not in run(base(zones=zones(("periorbital_left", 0.25)))).codes


def test_unknown_zone_is_malformed() -> None:
    with pytest.raises(RulesInputError) as e:
        run(base(zones=zones(("ear", 0.5))))
    assert e.value.field == "zones[0].zone"
    with pytest.raises(RulesInputError):
        parse_zone("cheek_middle")


def test_zone_sides() -> None:
    assert parse_zone("upper_lip") == ZoneRef("upper_lip")
    assert parse_zone("upper_lip_left") == ZoneRef("upper_lip", "left")
    assert ZoneRef("cheek").overlaps(ZoneRef("cheek", "right"))
    assert not ZoneRef("cheek", "left").overlaps(ZoneRef("cheek", "right"))
    assert not ZoneRef("chin").overlaps(ZoneRef("cheek"))


def test_every_zone_has_limits() -> None:
    from puncta.rules.data import rules_data

    data = rules_data()
    for code, info in data.zones.items():
        assert code in data.ceilings
        if not info.orbital_rim:
            assert (code, "default") in data.usual
            assert data.usual[(code, "default")].max_mm <= data.ceilings[code].max_mm
