"""A re-flow is a proposal the desk accepts; the patient is told of each new date."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from puncta.scheduling import services
from puncta.scheduling.models import Appointment, PatientMessage
from puncta.scheduling.reflow import reflow_accept, reflow_preview
from puncta.scheduling.series import propose_series

from .conftest import actor_of
from .test_booking import _request

TZ = zoneinfo.ZoneInfo("America/Toronto")


def test_move_shows_a_proposal_and_accepting_it_moves_and_tells(personas, plan, frozen_today):
    desk = actor_of(personas.front_desk)
    appts = services.book_series(desk, [_request(plan, p.slot, p.number)
                                        for p in propose_series(plan)])
    first, second = appts[0], appts[1]
    before = second.start
    services.move(desk, first, start=first.start + dt.timedelta(days=21), reflow_after=False)
    second.refresh_from_db()
    assert second.start == before  # nothing moved yet
    proposal = reflow_preview(plan)
    assert [m.appointment.pk for m in proposal][:1] == [second.pk]
    assert proposal[0].slot is not None
    moved = reflow_accept(actor=desk, plan=plan)
    assert second.pk in [a.pk for a in moved]
    second.refresh_from_db()
    first.refresh_from_db()
    gap = (second.start.astimezone(TZ).date() - first.start.astimezone(TZ).date()).days
    assert 42 <= gap <= 56
    assert PatientMessage.objects.filter(appointment=second, kind="rescheduled").exists()
    assert reflow_preview(plan) == []
    assert Appointment.objects.filter(pk=second.pk, flag="").exists()


def test_series_page_shows_the_proposal_and_accepts_it(personas, plan, frozen_today):
    from django.urls import reverse

    from ..conftest import client_for

    desk = actor_of(personas.front_desk)
    appts = services.book_series(desk, [_request(plan, p.slot, p.number)
                                        for p in propose_series(plan)])
    first, second = appts[0], appts[1]
    services.move(desk, first, start=first.start + dt.timedelta(days=21), reflow_after=False)
    client = client_for(personas.front_desk)
    appt_page = client.get(reverse("scheduling:appointment", args=[first.pk])).content.decode()
    assert 'id="reflow"' in appt_page and "See the proposed new dates" in appt_page
    url = reverse("scheduling:series", args=[plan.pk])
    html = client.get(url).content.decode()
    assert 'id="reflow"' in html and "Nothing has moved yet" in html
    client.post(url, {"action": "accept_reflow"})
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.start - first.start).days >= 42
    assert 'id="reflow"' not in client.get(url).content.decode()
