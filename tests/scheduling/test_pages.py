"""Scheduling pages: series booking, calendar, appointment moves, .ics, hours, messages."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from icalendar import Calendar

from puncta.scheduling.models import Appointment, WorkingHours

from ..conftest import client_for
from .conftest import MONDAY

pytestmark = pytest.mark.django_db


def test_front_desk_books_whole_series_in_one_step(personas, plan, frozen_today):
    client = client_for(personas.front_desk)
    url = reverse("scheduling:series", args=[plan.pk])
    page = client.get(url).content.decode()
    assert page.count("proposed") >= 5
    client.post(url, {"action": "book_all"})
    assert Appointment.objects.filter(series=plan, status="booked").count() == 5
    page = client.get(url).content.decode()
    assert page.count('badge ok">booked') == 5


def test_choosing_aesthetician_brings_a_supervisor(personas, plan, frozen_today):
    client = client_for(personas.front_desk)
    url = reverse("scheduling:series", args=[plan.pk])
    page = client.get(url, {"practitioner": personas.aesthetician.pk}).content.decode()
    assert "supervised by" in page
    client.post(url, {"action": "book_one", "number": "1",
                      "practitioner": personas.aesthetician.pk})
    appt = Appointment.objects.get(series=plan)
    assert appt.practitioner == personas.aesthetician
    assert appt.supervisor == personas.physician


def test_calendar_week_and_day_views(personas, plan, frozen_today):
    client = client_for(personas.front_desk)
    client.post(reverse("scheduling:series", args=[plan.pk]), {"action": "book_all"})
    first = Appointment.objects.filter(series=plan).order_by("start").first()
    day = first.start.date().isoformat()
    html = client.get(reverse("scheduling:calendar"), {"date": day}).content.decode()
    assert plan.patient.full_name in html and "08:30" in html
    html = client.get(reverse("scheduling:calendar"), {"date": day, "view": "day",
                                                       "by": "room"}).content.decode()
    assert first.room.name in html


def test_reschedule_from_the_appointment_page(personas, plan, frozen_today):
    client = client_for(personas.front_desk)
    client.post(reverse("scheduling:series", args=[plan.pk]), {"action": "book_all"})
    first = Appointment.objects.filter(series=plan).order_by("start").first()
    url = reverse("scheduling:appointment", args=[first.pk])
    new_day = (first.start + dt.timedelta(days=1)).date()
    client.post(url, {"action": "move", "date": new_day.isoformat(), "time": "10:00",
                      "practitioner": first.practitioner_id, "room": first.room_id,
                      "device": first.device_id, "supervisor": first.supervisor_id or ""})
    first.refresh_from_db()
    assert first.start.astimezone(dt.timezone(dt.timedelta(hours=-5))).hour == 10
    bad = client.post(url, {"action": "move", "date": "nonsense", "time": "10:00"},
                      follow=True)
    assert "Enter a date" in bad.content.decode()


def test_ics_exports(personas, plan, frozen_today):
    client = client_for(personas.front_desk)
    client.post(reverse("scheduling:series", args=[plan.pk]), {"action": "book_all"})
    body = client.get(reverse("scheduling:series_ics", args=[plan.pk])).content
    events = [c for c in Calendar.from_ical(body).walk("VEVENT")]
    assert len(events) == 5
    appt = Appointment.objects.filter(series=plan).order_by("start").first()
    assert events[0].decoded("dtstart") == appt.start
    body = client.get(reverse("scheduling:practitioner_ics",
                              args=[appt.practitioner_id])).content
    assert b"BEGIN:VEVENT" in body
    # calendar feeds carry initials and the MRN, never the patient's name
    patient = plan.patient
    for event in Calendar.from_ical(body).walk("VEVENT"):
        summary = str(event.get("summary"))
        assert patient.family_name not in summary and patient.given_name not in summary
        assert patient.mrn in summary
        assert f"{patient.given_name[0]}.{patient.family_name[0]}." in summary


def test_hours_page_for_admin_only(personas, clinic_ready):
    admin = client_for(personas.clinic_admin)
    admin.post(reverse("scheduling:hours"), {
        "membership": personas.nurse_practitioner.pk, "location": clinic_ready["location"].pk,
        "weekday": ["5"], "start": "10:00", "end": "14:00", "on_site": "on"})
    assert WorkingHours.objects.filter(membership=personas.nurse_practitioner,
                                       weekday=5).exists()
    bad = admin.post(reverse("scheduling:hours"), {
        "membership": personas.nurse_practitioner.pk, "location": clinic_ready["location"].pk,
        "weekday": ["4"], "start": "14:00", "end": "10:00"}, follow=True)
    assert "The start must be before the end." in bad.content.decode()
    nobody = admin.post(reverse("scheduling:hours"), {"start": "10:00", "end": "14:00"},
                        follow=True)
    assert "Choose a person of this clinic." in nobody.content.decode()
    assert not WorkingHours.objects.filter(membership=personas.nurse_practitioner,
                                           weekday=4).exists()
    assert client_for(personas.front_desk).get(reverse("scheduling:hours")).status_code == 403


def test_other_clinic_sees_no_appointment(personas, plan, frozen_today):
    client_for(personas.front_desk).post(reverse("scheduling:series", args=[plan.pk]),
                                         {"action": "book_all"})
    appt = Appointment.objects.filter(series=plan).first()
    other = client_for(personas.other_clinic_user)
    assert other.get(reverse("scheduling:appointment", args=[appt.pk])).status_code == 404
    assert other.get(reverse("scheduling:series", args=[plan.pk])).status_code == 404


def test_calendar_query_count_is_constant(personas, clinic_ready, frozen_today):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import acne_plan, ready_patient

    client = client_for(personas.front_desk)
    for _ in range(3):
        p = acne_plan(personas, ready_patient(personas))
        client.post(reverse("scheduling:series", args=[p.pk]), {"action": "book_one",
                                                                 "number": "1"})
    assert Appointment.objects.count() == 3
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("scheduling:calendar"), {"date": MONDAY.isoformat()})
    assert len(few) <= 15
    for _ in range(6):
        p = acne_plan(personas, ready_patient(personas))
        client.post(reverse("scheduling:series", args=[p.pk]), {"action": "book_one",
                                                                 "number": "1"})
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("scheduling:calendar"), {"date": MONDAY.isoformat()})
    assert len(many) == len(few)


def test_time_off_blocks_proposals_and_supervision_setting(personas, plan, frozen_today):
    from puncta.scheduling.series import propose_series

    admin = client_for(personas.clinic_admin)
    first = propose_series(plan)[0].slot
    day = first.start.date().isoformat()
    admin.post(reverse("scheduling:hours"), {"form": "time_off",
                                             "membership": first.practitioner.pk,
                                             "start": day, "end": day, "reason": "course"})
    again = propose_series(plan)[0].slot
    assert not (again.practitioner == first.practitioner
                and again.start.date() == first.start.date())
    admin.post(reverse("scheduling:hours"), {"form": "supervision"})
    personas.clinic.refresh_from_db()
    assert personas.clinic.supervision_on_site is False


def test_appointment_page_starts_the_chart(personas, plan, frozen_today):
    client_for(personas.front_desk).post(reverse("scheduling:series", args=[plan.pk]),
                                         {"action": "book_one", "number": "1"})
    appt = Appointment.objects.get(series=plan)
    doctor = client_for(personas.physician)
    page = doctor.get(reverse("scheduling:appointment", args=[appt.pk])).content.decode()
    assert reverse("charting:start", args=[appt.pk]) in page
    desk_page = client_for(personas.front_desk).get(
        reverse("scheduling:appointment", args=[appt.pk])).content.decode()
    assert reverse("charting:start", args=[appt.pk]) not in desk_page


def test_dashboard_lists_todays_appointments(personas, plan, frozen_today, monkeypatch):

    client = client_for(personas.front_desk)
    client.post(reverse("scheduling:series", args=[plan.pk]), {"action": "book_one",
                                                               "number": "1"})
    appt = Appointment.objects.get(series=plan)
    from django.utils import timezone

    # The clinic's clock (not the server's zone) says which day "today" is: the morning
    # of the appointment.
    monkeypatch.setattr(timezone, "now", lambda: appt.start - dt.timedelta(hours=1))
    client = client_for(personas.front_desk)  # signed in that morning
    html = client.get(reverse("web:dashboard")).content.decode()
    assert plan.patient.full_name in html and "08:30" in html


def test_series_booking_keeps_to_the_preferred_time_of_day(personas, plan, frozen_today):
    client = client_for(personas.front_desk)
    url = reverse("scheduling:series", args=[plan.pk])
    html = client.get(url, {"prefer": "afternoon"}).content.decode()
    assert '<option value="afternoon" selected>' in html
    client.post(url, {"action": "book_all", "prefer": "afternoon"})
    appts = list(Appointment.objects.filter(series=plan))
    assert len(appts) == 5
    tz = zoneinfo.ZoneInfo("America/Toronto")
    assert all(12 <= a.start.astimezone(tz).hour < 17 for a in appts), [
        a.start.astimezone(tz).time() for a in appts]
