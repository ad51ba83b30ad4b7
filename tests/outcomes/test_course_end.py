"""Signing the chart of a course's last session, through charting's own service, starts
the outcome follow-ups (1, 3 and 6 months after that session), queued as tasks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from puncta.charting import services as charting
from puncta.outcomes.models import FollowUp
from puncta.rules import scales

from ..charting.conftest import session  # noqa: F401 - fixture
from ..charting.test_flow import _data
from .conftest import actor_of, signed_sessions

pytestmark = pytest.mark.django_db


def test_signing_the_last_session_schedules_follow_ups(personas, session,  # noqa: F811
                                                       django_capture_on_commit_callbacks,
                                                       monkeypatch):
    plan, appt = session["plan"], session["appt"]
    after = appt.end + dt.timedelta(hours=1)  # the chart is signed after the session
    monkeypatch.setattr(timezone, "now", lambda: after)
    planned = len(plan.course["sessions"])
    today = appt.start.date()
    # The earlier sessions of the course, 7 weeks apart, already signed.
    signed_sessions(personas, plan, planned - 1, first=today - dt.timedelta(days=49 * (
        planned - 1)), gap_days=49)
    aest, physician = actor_of(personas.aesthetician), actor_of(personas.physician)
    with django_capture_on_commit_callbacks(execute=True):
        chart = charting.chart_start(actor=aest, appointment=appt)
        chart, errors = charting.chart_save(
            actor=aest, chart=chart, expected_version=chart.version,
            data=_data(chart, supervisor_id=personas.physician.pk))
        assert errors == {}
        chart = charting.chart_attest_supervision(actor=physician, chart=chart)
        assert FollowUp.objects.count() == 0  # a draft is not the end of the course
        chart = charting.chart_sign(actor=aest, chart=chart)
    follow_ups = list(FollowUp.objects.filter(plan=plan).order_by("months"))
    assert [(f.months, f.due_on) for f in follow_ups] == scales.follow_up_dates(chart.on)
    assert DBTaskResult.objects.filter(
        task_path__startswith="puncta.outcomes.tasks").count() == 2 * len(follow_ups)
    # Co-signing saves the chart again: nothing is scheduled twice.
    with django_capture_on_commit_callbacks(execute=True):
        charting.chart_cosign(actor=physician, chart=chart, note="")
    assert FollowUp.objects.count() == len(follow_ups)
    assert DBTaskResult.objects.filter(
        task_path__startswith="puncta.outcomes.tasks").count() == 2 * len(follow_ups)
