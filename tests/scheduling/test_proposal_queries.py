"""The series proposal reads the calendar in a constant number of queries, however many
appointments the clinic has, and finds the same slots as a search over datetimes."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from puncta.plans.selectors import plan_get
from puncta.scheduling.availability import Calendar
from puncta.scheduling.models import Appointment
from puncta.scheduling.series import propose_series

from ..factories import PatientFactory
from .conftest import MONDAY, acne_plan, ready_patient

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("America/Toronto")


def _fill(personas, device, days: int, first: dt.date) -> dt.date:
    """``days`` weekdays from ``first``, each with the first room taken by the nurse from
    9:00 to 11:00: the calendar grows, the free slots stay the same. Returns the next day."""
    loc = personas.clinic.locations.get()
    room = loc.rooms.order_by("id").first()
    patient = ready_patient(personas)
    rows, day = [], first
    while len(rows) < days:
        if day.weekday() < 5:
            start = dt.datetime.combine(day, dt.time(9), tzinfo=TZ)
            rows.append(Appointment(
                clinic=personas.clinic, location=loc, patient=patient, kind="treatment",
                practitioner=personas.nurse, room=room, device=device, start=start,
                treat_start=start + dt.timedelta(minutes=30),
                end=start + dt.timedelta(hours=2), created_by=personas.front_desk.user))
        day += dt.timedelta(days=1)
    Appointment.objects.bulk_create(rows)
    return day


def _propose(personas, plan):  # type: ignore[no-untyped-def]
    plan = plan_get(personas.clinic.pk, plan.pk, rule_inputs=True)
    with CaptureQueriesContext(connection) as ctx:
        proposal = propose_series(plan)
    return len(ctx.captured_queries), [(p.number, p.slot and p.slot.start) for p in proposal]


def test_proposal_queries_do_not_grow_with_the_calendar(personas, clinic_ready, frozen_today):
    plan = acne_plan(personas, ready_patient(personas))
    after = _fill(personas, clinic_ready["device"], 2, MONDAY - dt.timedelta(days=14))
    small, slots_small = _propose(personas, plan)
    _fill(personas, clinic_ready["device"], 300, after)  # more than a year of weekdays
    large, slots_large = _propose(personas, plan)
    assert small == large, f"{small} queries with 2 appointments, {large} with 302"
    assert small <= 8
    assert slots_small == slots_large
    assert all(when is not None for _, when in slots_small)


def _busy(intervals, start, end) -> bool:  # type: ignore[no-untyped-def]
    return any(s < end and e > start for s, e in intervals)


def test_calendar_answers_as_a_search_over_datetimes(personas, clinic_ready):
    """Integers in sorted lists answer exactly as overlap tests on aware datetimes, at
    the edges too (an interval ending when ours starts is free)."""
    rng = random.Random(4)
    cal = Calendar(personas.clinic)
    base = dt.datetime.combine(MONDAY, dt.time(7), tzinfo=TZ)
    taken: list[tuple[dt.datetime, dt.datetime]] = []
    t = base
    for _ in range(40):
        t += dt.timedelta(minutes=rng.choice([0, 5, 15, 30]))
        end = t + dt.timedelta(minutes=rng.choice([10, 20, 45]))
        taken.append((t, end))
        cal.add(1, 1, 1, t, t, end)
        t = end
    for _ in range(400):
        start = base + dt.timedelta(minutes=rng.randrange(0, 60 * 16))
        end = start + dt.timedelta(minutes=rng.choice([5, 15, 55]))
        for key in ("room:1", "pr:1", "dev:1"):
            assert cal.free(key, start, end) == (not _busy(taken, start, end)), (start, end)
    assert cal.free("room:2", base, base + dt.timedelta(hours=1))


def test_rule_inputs_read_with_the_plan_match_the_two_queries(personas, clinic_ready):
    from puncta.patients.models import IntakeResponse, Screening
    from puncta.plans.checks import rule_inputs

    # with_rule_inputs orders its subqueries as the models do
    assert IntakeResponse._meta.ordering == ["-created_at", "-id"]
    assert Screening._meta.ordering == ["-screened_at", "-id"]
    patient = ready_patient(personas)
    plan = acne_plan(personas, patient)
    screening = Screening.objects.filter(patient=patient, superseded_at__isnull=True).get()
    screening.restrict_avoid_zones = ["forehead"]
    screening.restrict_earliest_start = MONDAY
    screening.save()
    annotated = plan_get(personas.clinic.pk, plan.pk, rule_inputs=True)
    plain = plan_get(personas.clinic.pk, plan.pk)
    assert rule_inputs(annotated) == rule_inputs(plain)
    assert rule_inputs(annotated)[1].avoid_zones  # the conditions came through
    bare = acne_plan(personas, PatientFactory(clinic=personas.clinic))
    assert rule_inputs(plan_get(personas.clinic.pk, bare.pk, rule_inputs=True)) == \
        rule_inputs(plan_get(personas.clinic.pk, bare.pk))
