"""Reminders, check-ins and maintenance recalls, as deferred tasks (django-tasks, run by
`puncta worker`). Each is logged against the patient when scheduled (queued), and again
when sent, skipped (opted out, no address) or cancelled (the appointment moved)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from puncta import rules
from puncta.audit.models import Action
from puncta.audit.services import Actor, record

from .models import Appointment, PatientMessage, Status

REMINDER_HOURS = (48, 24)
SYSTEM = Actor(label="puncta worker")


def _when(appt: Appointment) -> str:
    local = appt.start.astimezone(zoneinfo.ZoneInfo(appt.location.time_zone))
    return local.strftime("%Y-%m-%d %H:%M")


def message_text(kind: str, appt: Appointment) -> tuple[str, str]:
    name = appt.patient.given_name
    where = f"{appt.clinic.name}, {appt.location.name}"
    if kind.startswith("reminder"):
        # What to do before the session comes from the rules' data (precare.toml).
        fr = (translation.get_language() or "en").startswith("fr")
        precare = "\n".join(f"- {item.fr if fr else item.en}" for item in rules.precare())
        return (_("Your microneedling session on %(when)s") % {"when": _when(appt)},
                _("Hello %(name)s,\n\nThis is a reminder of your microneedling session on "
                  "%(when)s at %(where)s. Please arrive on time: numbing cream is applied "
                  "first.\n\nBefore your session:\n%(precare)s\n")
                % {"name": name, "when": _when(appt), "where": where, "precare": precare})
    if kind == "checkin":
        # Delay and text are the rules' data (checkin.toml), in the patient's language.
        ci = rules.checkin()
        lang = translation.get_language() or "en"
        return ci.subject(lang), ci.body(lang, name=name, when=_when(appt), where=where)
    return (_("Time for your maintenance microneedling session"),
            _("Hello %(name)s,\n\nYour course of microneedling at %(where)s is complete. A "
              "maintenance session keeps the results: call us to book it.\n")
            % {"name": name, "where": where})


@task()
def send_patient_message(message_id: int) -> str:
    with transaction.atomic():
        msg = (PatientMessage.objects.select_for_update(of=("self",))
               .select_related("patient", "appointment__clinic", "appointment__location")
               .filter(pk=message_id).first())
        if msg is None or msg.status != "queued":
            return "gone"
        patient = msg.patient
        if patient.contact_opt_out or not patient.email:
            msg.status = "skipped"
            msg.reason = "opted out" if patient.contact_opt_out else "no email address"
        else:
            send_mail(msg.subject, msg.body, settings.DEFAULT_FROM_EMAIL, [patient.email])
            msg.status = "sent"
        msg.sent_at = timezone.now()
        msg.save(update_fields=["status", "reason", "sent_at"])
        record(SYSTEM, Action.UPDATE, msg, patient_id=patient.pk,
               clinic_id=patient.clinic_id, data={"kind": msg.kind, "status": msg.status})
    return msg.status


def _queue(appt: Appointment, kind: str, when: dt.datetime) -> PatientMessage:
    with translation.override(appt.patient.preferred_language):
        subject, body = message_text(kind, appt)
    msg = PatientMessage.objects.create(patient=appt.patient, appointment=appt, kind=kind,
                                        subject=subject, body=body, status="queued",
                                        send_after=when)
    send_patient_message.using(run_after=when).enqueue(msg.pk)
    return msg


def schedule_for(appointment_id: int) -> list[str]:
    """Queue the reminders and check-in of a booked appointment (and the course's
    maintenance recall after its last session); earlier queued ones are cancelled."""
    appt = (Appointment.objects.select_related("plan", "patient", "clinic", "location")
            .filter(pk=appointment_id).first())
    if appt is None:
        return []
    with transaction.atomic():
        PatientMessage.objects.filter(appointment=appt, status="queued").update(
            status="cancelled", reason="appointment changed")
        if appt.status != Status.BOOKED:
            return []
        now = timezone.now()
        kinds = []
        for hours in REMINDER_HOURS:
            when = appt.start - dt.timedelta(hours=hours)
            if when > now:
                kinds.append(_queue(appt, f"reminder_{hours}h", when).kind)
        after = dt.timedelta(hours=rules.checkin().after_hours)
        kinds.append(_queue(appt, "checkin", appt.end + after).kind)
        plan = appt.plan
        sessions = plan.course.get("sessions", []) if plan else []
        if plan is not None and sessions and appt.session_number == len(sessions):
            kinds.append(_queue(appt, "recall", appt.start + recall_after(plan.course)).kind)
    return kinds


def recall_after(course: dict[str, Any]) -> dt.timedelta:
    """How long after the course's last session the maintenance recall is due: the first
    maintenance falls between earliest and latest after the last target (one definition:
    ``schedule_for`` and the synthetic seed)."""
    last_target = dt.date.fromisoformat(course["sessions"][-1]["target"])
    return dt.date.fromisoformat(course["maintenance"]["earliest"]) - last_target


def cancel_for(appointment_id: int) -> None:
    PatientMessage.objects.filter(appointment_id=appointment_id, status="queued").update(
        status="cancelled", reason="appointment cancelled")
