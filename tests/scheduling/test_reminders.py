"""Reminders, check-ins and recalls: queued as tasks, logged, skipped on opt-out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from puncta.scheduling import services
from puncta.scheduling.models import PatientMessage, Status
from puncta.scheduling.reminders import send_patient_message
from puncta.scheduling.series import propose_series

from .conftest import actor_of

pytestmark = pytest.mark.django_db


def _book_all(personas, plan):
    return services.appointment_series_book(actor=actor_of(personas.front_desk), requests= [
        services.Request(plan=plan, number=p.number, start=p.slot.start,
                         practitioner=p.slot.practitioner, room=p.slot.room,
                         device=p.slot.device, supervisor=p.slot.supervisor)
        for p in propose_series(plan)])


def test_booking_queues_reminders_checkin_and_recall(personas, plan, frozen_today,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appts = _book_all(personas, plan)
    first = appts[0]
    kinds = set(PatientMessage.objects.filter(appointment=first).values_list("kind", flat=True))
    assert kinds == {"reminder_48h", "reminder_24h", "checkin"}
    last = appts[-1]
    assert "recall" in PatientMessage.objects.filter(appointment=last).values_list(
        "kind", flat=True)
    r48 = PatientMessage.objects.get(appointment=first, kind="reminder_48h")
    assert r48.send_after == first.start - dt.timedelta(hours=48)
    assert "retinoids" in r48.body
    assert DBTaskResult.objects.filter(status="READY").count() == PatientMessage.objects.filter(
        status="queued").count()


def test_worker_sends_and_logs_or_skips_opted_out(personas, plan, frozen_today,
                                                  django_capture_on_commit_callbacks):
    plan.patient.email = "p@example.com"
    plan.patient.save()
    with django_capture_on_commit_callbacks(execute=True):
        appt = _book_all(personas, plan)[0]
    msg = PatientMessage.objects.get(appointment=appt, kind="reminder_24h")
    assert send_patient_message.call(msg.pk) == "sent"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["p@example.com"]
    plan.patient.contact_opt_out = True
    plan.patient.save()
    other = PatientMessage.objects.get(appointment=appt, kind="reminder_48h")
    assert send_patient_message.call(other.pk) == "skipped"
    assert len(mail.outbox) == 1


def test_moving_cancels_old_reminders(personas, plan, frozen_today,
                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appt = _book_all(personas, plan)[0]
        services.appointment_move(actor=actor_of(personas.front_desk), appointment=appt,
                      start=appt.start + dt.timedelta(days=1))
    statuses = list(PatientMessage.objects.filter(appointment=appt, kind="reminder_24h")
                    .values_list("status", flat=True))
    assert sorted(statuses) == ["cancelled", "queued"]
    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_status_set(actor=actor_of(personas.front_desk), appointment=appt,
                                        status=Status.CANCELLED)
    assert not PatientMessage.objects.filter(appointment=appt, status="queued").exists()


def test_french_patient_gets_french_precare_from_the_rules(personas, plan, frozen_today,
                                                         django_capture_on_commit_callbacks):
    plan.patient.preferred_language = "fr"
    plan.patient.save()
    with django_capture_on_commit_callbacks(execute=True):
        appt = _book_all(personas, plan)[0]
    body = PatientMessage.objects.get(appointment=appt, kind="reminder_24h").body
    assert "rétinoïdes" in body and "Avant votre séance" in body
