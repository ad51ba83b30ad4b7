"""The scales as data: anchors, ranges and totals checked against their sources by hand,
refusals with a code, the outcome schedule and the photo protocols. Pure rules: no
database."""

from __future__ import annotations

import datetime as dt

import pytest

from puncta.rules import codes
from puncta.rules import scales as s

SOURCES = {  # scale -> (first author, year) of its citation
    "gb_qualitative": ("Goodman GJ", "2006"), "gb_quantitative": ("Goodman GJ", "2006"),
    "glogau": ("Glogau RG", "1996"), "fitzpatrick_wrinkle": ("Fitzpatrick RE", "1996"),
    "vss": ("Sullivan T", "1990"), "posas_observer": ("Draaijers LJ", "2004"),
    "posas_patient": ("Draaijers LJ", "2004"), "gais_clinician": ("Narins RS", "2003"),
    "gais_patient": ("Narins RS", "2003"), "satisfaction": ("Puncta", ""),
}


def test_every_scale_has_source_anchors_in_both_languages_rater_and_known_indications():
    known = {i["code"] for i in codes()["indications"]}
    assert set(s.scales()) == set(SOURCES)
    for code, sc in s.scales().items():
        author, year = SOURCES[code]
        assert author in sc.source and year in sc.source, code
        assert sc.en and sc.fr and sc.rater in ("clinician", "patient")
        assert set(sc.indications) <= known and sc.indications
        if sc.uncertain:
            assert sc.note, f"{code} is flagged uncertain without saying what"
        for item in sc.items:
            assert item.en and item.fr
            for a in item.anchors:
                assert a.en.strip() and a.fr.strip(), (code, item.code, a.value)


@pytest.mark.parametrize(("code", "lo", "hi"), [
    ("gb_qualitative", 1, 4), ("gb_quantitative", 0, 84), ("glogau", 1, 4),
    ("fitzpatrick_wrinkle", 1, 9), ("vss", 0, 13), ("posas_observer", 6, 60),
    ("posas_patient", 6, 60), ("gais_clinician", 1, 5), ("gais_patient", 1, 5),
    ("satisfaction", 1, 5)])
def test_ranges_match_the_sources(code, lo, hi):
    sc = s.scale_get(code)
    assert (sc.minimum, sc.maximum) == (lo, hi)


def test_raters():
    assert {c for c, sc in s.scales().items() if sc.rater == "patient"} == {
        "posas_patient", "gais_patient", "satisfaction"}


def test_goodman_baron_qualitative_anchors():
    item = s.scale_get("gb_qualitative").items[0]
    assert [a.value for a in item.anchors] == [1, 2, 3, 4]
    assert item.anchor(1).en.startswith("Macular")
    assert item.anchor(2).en.startswith("Mild") and "50 cm" in item.anchor(2).en
    assert "manual stretching" in item.anchor(3).en
    assert "not flattened" in item.anchor(4).en
    assert item.anchor(4).fr.startswith("Sévère")
    assert s.score("gb_qualitative", {"grade": 3}).total == 3


def test_goodman_baron_quantitative_points_times_count_band():
    sc = s.scale_get("gb_quantitative")
    points = {i.code: i.points for i in sc.items}
    assert points == {"macular": 1, "mild_atrophic": 1, "moderate_atrophic": 2,
                      "punched_shallow": 2, "shallow_broad": 2, "punched_deep_normal": 3,
                      "punched_deep_abnormal": 3, "linear_troughed": 3, "deep_broad": 3,
                      "papular": 2, "keloidal": 6}
    answers = {i.code: 0 for i in sc.items}
    # 12 macular scars (11-20: x2) = 2; 5 deep abnormal punched-out (1-10: x1) = 3;
    # 25 troughed (>20: x3) = 9; keloid of 8 cm2 (5-20 cm2: x2) = 12. Total 26.
    answers.update(macular=2, punched_deep_abnormal=1, linear_troughed=3, keloidal=2)
    assert s.score("gb_quantitative", answers).total == 26
    assert s.score("gb_quantitative", {i.code: 3 for i in sc.items}).total == 84
    assert sc.uncertain  # the exact points are flagged, as the reference says


def test_vancouver_anchors_and_total():
    sc = s.scale_get("vss")
    items = {i.code: i for i in sc.items}
    assert [a.en for a in items["vascularity"].anchors] == ["Normal", "Pink", "Red", "Purple"]
    assert [a.en for a in items["pliability"].anchors] == [
        "Normal", "Supple", "Yielding", "Firm", "Banding", "Contracture"]
    assert items["pigmentation"].max == 2 and items["height"].max == 3
    # red (2), hyperpigmented (2), firm (3), 2-5 mm (2) = 9
    assert s.score("vss", {"vascularity": 2, "pigmentation": 2, "pliability": 3,
                           "height": 2}).total == 9


def test_posas_totals_exclude_the_overall_opinion():
    obs = {"vascularity": 3, "pigmentation": 4, "thickness": 5, "relief": 6,
           "pliability": 7, "surface_area": 8, "overall": 9}
    assert s.score("posas_observer", obs).total == 33
    pat = {"pain": 1, "itching": 1, "colour": 2, "stiffness": 2, "thickness": 3,
           "irregularity": 3, "overall": 10}
    assert s.score("posas_patient", pat).total == 12


def test_glogau_fitzpatrick_and_bands():
    assert s.scale_get("glogau").items[0].anchor(2).en.startswith("Type II, wrinkles in motion")
    fw = s.score("fitzpatrick_wrinkle", {"score": 5})
    assert fw.total == 5 and fw.band.en == "Class II" and fw.band.fr == "Classe II"
    assert s.score("fitzpatrick_wrinkle", {"score": 9}).band.en == "Class III"


def test_gais_anchors_and_response():
    sc = s.scale_get("gais_clinician")
    assert [a.en.split(":")[0] for a in sc.items[0].anchors] == [
        "Very much improved", "Much improved", "Improved", "No change", "Worse"]
    assert s.is_responder(sc, 3) is True and s.is_responder(sc, 4) is False


@pytest.mark.parametrize(("answers", "code", "item"), [
    ({"grade": 5}, "scale.out_of_range", "grade"),
    ({"grade": 0}, "scale.out_of_range", "grade"),
    ({"grade": "two"}, "scale.not_a_number", "grade"),
    ({"grade": True}, "scale.not_a_number", "grade"),
    ({"grade": 2.5}, "scale.not_a_number", "grade"),
    ({}, "scale.item_missing", "grade"),
    ({"grade": 2, "extra": 1}, "scale.item_unknown", "extra"),
])
def test_out_of_range_and_malformed_answers_are_refused_with_a_code(answers, code, item):
    with pytest.raises(s.ScaleInputError) as exc:
        s.score("gb_qualitative", answers)
    assert (exc.value.errors[0].code, exc.value.errors[0].item) == (code, item)
    assert exc.value.errors[0].fr


def test_unknown_scale_and_form_strings():
    with pytest.raises(s.ScaleInputError) as exc:
        s.score("nope", {})
    assert exc.value.errors[0].code == "scale.unknown"
    assert s.score("vss", {"vascularity": "1", "pigmentation": " 0", "pliability": "2",
                           "height": "0"}).total == 3


def test_responders_on_status_scales_need_a_baseline():
    gb = s.scale_get("gb_qualitative")
    assert s.is_responder(gb, 2, 3) is True
    assert s.is_responder(gb, 3, 3) is False
    assert s.is_responder(gb, 2) is None
    assert s.improvement(gb, 4, 2) == 2
    assert s.is_responder(s.scale_get("satisfaction"), 5, 1) is None
    assert s.improvement(s.scale_get("satisfaction"), 2, 5) == 3


def test_scales_for_indication_and_primary():
    acne = {sc.code for sc in s.scales_for("acne_scars", "clinician")}
    assert {"gb_qualitative", "gb_quantitative", "gais_clinician"} <= acne
    assert "glogau" not in acne
    assert {sc.code for sc in s.scales_for("acne_scars", "patient")} == {
        "posas_patient", "gais_patient", "satisfaction"}
    assert s.primary_scale("acne_scars").code == "gb_qualitative"
    assert s.primary_scale("other_scars").code == "vss"
    assert s.primary_scale("nothing") is None


def test_outcome_schedule_follow_ups_at_1_3_6_months_clamped_to_month_end():
    assert s.outcome_schedule().follow_up_months == (1, 3, 6)
    assert s.follow_up_dates(dt.date(2027, 1, 31)) == [
        (1, dt.date(2027, 2, 28)), (3, dt.date(2027, 4, 30)), (6, dt.date(2027, 7, 31))]
    assert s.add_months(dt.date(2027, 11, 15), 3) == dt.date(2028, 2, 15)


def test_photo_protocols_by_zone_region_and_indication():
    face = s.photo_protocol("acne_scars", "cheek_left")
    assert [v.code for v in face.views] == ["front", "left45", "right45", "left90",
                                            "right90", "closeup"]
    assert "1 m" in face.distance_en and "side" in face.extra_en and face.extra_fr
    assert s.photo_protocol("wrinkles", "neck").region == "neck"
    body = s.photo_protocol("stretch_marks", "abdomen")
    assert body.region == "body" and "left90" not in [v.code for v in body.views]
    assert s.photo_protocol("tone").region == "face"
