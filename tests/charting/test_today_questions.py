"""Today's questions (issue 11): sunburn and irritated skin on the day refuse the session,
through the same path as a cold sore; every question maps to a rules fact."""

from __future__ import annotations

import pytest

from puncta import rules
from puncta.charting import forms

from .test_edges import _codes, _start

CONDITIONS = {c["code"]: c for c in rules.codes()["conditions"]}


def test_every_today_question_is_a_rules_fact_and_starts_unanswered():
    for key, fact, label in forms.TODAY_QUESTIONS:
        assert fact == "pregnant" or fact in CONDITIONS, fact
        assert forms.EMPTY["today"][key] is False and str(label)
    assert ("sunburn", "sunburn") in [(k, f) for k, f, _l in forms.TODAY_QUESTIONS]
    # Irritated skin is the labelled "open wound, sore or irritated skin" row.
    assert ("irritated", "open_wound") in [(k, f) for k, f, _l in forms.TODAY_QUESTIONS]
    assert CONDITIONS["sunburn"]["kind"] == CONDITIONS["open_wound"]["kind"] == "absolute"


def test_today_answers_are_read_from_the_form_and_the_api():
    post = {"today_answered": "on", "today_sunburn": "on", "today_irritated": ""}
    raw = forms.from_post(post)
    assert raw["today"]["sunburn"] is True and raw["today"]["irritated"] is False
    content, _refs, errors = forms.clean({"today": {"answered": True, "irritated": True}})
    assert content["today"]["irritated"] is True and content["today"]["sunburn"] is False
    assert "today" not in errors


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "code"), [("sunburn", "contraindication.sunburn"),
                                           ("irritated", "contraindication.open_wound")])
def test_sunburn_or_irritated_skin_today_is_refused_at_the_question(personas, session, key,
                                                                   code):
    chart, _ = _start(personas, session, today={"answered": True, key: True})
    assert code in _codes(chart, "today")
    assert chart.verdict == "refuse"
