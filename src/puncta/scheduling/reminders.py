"""Reminders, check-ins and maintenance recalls, as deferred tasks (django-tasks, run by
`puncta worker`). Every message is logged against the patient, sent or skipped."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from puncta.audit.models import Action
from puncta.audit.services import Actor, record

from .models import Appointment, PatientMessage, Status

REMINDER_HOURS = (48, 24)
CHECKIN_AFTER = dt.timedelta(days=2)
SYSTEM = Actor(label="puncta worker")


def _when(appt: Appointment) -> str:
    local = appt.start.astimezone(zoneinfo.ZoneInfo(appt.location.time_zone))
    return local.strftime("%Y-%m-%d %H:%M")


def _text(kind: str, appt: Appointment) -> tuple[str, str]:
    name = appt.patient.given_name
    where = f"{appt.clinic.name}, {appt.location.name}"
    if kind.startswith("reminder"):
        return (_("Your microneedling session on %(when)s") % {"when": _when(appt)},
                _("Hello %(name)s,\n\nThis is a reminder of your microneedling session on "
                  "%(when)s at %(where)s. Please arrive on time: numbing cream is applied "
                  "first.\n\nBefore your session: stop retinoids and exfoliating acids "
                  "(AHA/BHA) 3 days before, avoid sunburn, and tell us about any cold sore, "
                  "infection, new medication or pregnancy.\n")
                % {"name": name, "when": _when(appt), "where": where})
    if kind == "checkin":
        return (_("How is your skin after your session?"),
                _("Hello %(name)s,\n\nHow is your skin healing after your session on "
                  "%(when)s? Redness for a day or two is expected. Call %(where)s if you "
                  "notice increasing pain, swelling, pus, fever or blisters.\n")
                % {"name": name, "when": _when(appt), "where": where})
    return (_("Time for your maintenance microneedling session"),
            _("Hello %(name)s,\n\nYour course of microneedling at %(where)s is complete. A "
              "maintenance session keeps the results: call us to book it.\n")
            % {"name": name, "where": where})


@task()
def send_patient_message(appointment_id: int, kind: str, expected_start: str) -> str:
    """Send one message unless the appointment moved or was cancelled since."""
    appt = (Appointment.objects.select_related("patient", "clinic", "location")
            .filter(pk=appointment_id).first())
    if appt is None:
        return "gone"
    if kind != "recall" and (appt.start.isoformat() != expected_start
                             or appt.status in (Status.CANCELLED, Status.MISSED)):
        return "stale"  # a newer task was scheduled for the new time
    patient = appt.patient
    with translation.override(patient.preferred_language):
        subject, body = _text(kind, appt)
    with transaction.atomic():
        if patient.contact_opt_out or not patient.email:
            status = "skipped"
            reason = "opted out" if patient.contact_opt_out else "no email address"
        else:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [patient.email])
            status, reason = "sent", ""
        msg = PatientMessage.objects.create(patient=patient, appointment=appt, kind=kind,
                                            subject=subject, body=body, status=status,
                                            reason=reason)
        record(SYSTEM, Action.CREATE, msg, patient_id=patient.pk, clinic_id=appt.clinic_id,
               data={"kind": kind, "status": status})
    return status


def schedule_for(appointment_id: int) -> list[str]:
    """Enqueue the reminders and the check-in of a booked appointment (and the course's
    maintenance recall after its last session)."""
    appt = Appointment.objects.select_related("plan").filter(pk=appointment_id).first()
    if appt is None or appt.status != Status.BOOKED:
        return []
    now = timezone.now()
    kinds = []
    for hours in REMINDER_HOURS:
        when = appt.start - dt.timedelta(hours=hours)
        if when > now:
            send_patient_message.using(run_after=when).enqueue(
                appt.pk, f"reminder_{hours}h", appt.start.isoformat())
            kinds.append(f"reminder_{hours}h")
    send_patient_message.using(run_after=appt.end + CHECKIN_AFTER).enqueue(
        appt.pk, "checkin", appt.start.isoformat())
    kinds.append("checkin")
    plan = appt.plan
    if plan is not None and appt.session_number == len(plan.course.get("sessions", [])):
        maintenance = plan.course.get("maintenance", {})
        earliest = dt.date.fromisoformat(maintenance.get("earliest", appt.start.date()
                                                         .isoformat()))
        # Counted from this last session's date, as the course's maintenance is.
        gap = earliest - dt.date.fromisoformat(plan.course["sessions"][-1]["target"])
        recall_at = appt.start + gap
        send_patient_message.using(run_after=recall_at).enqueue(
            appt.pk, "recall", appt.start.isoformat())
        kinds.append("recall")
    return kinds
