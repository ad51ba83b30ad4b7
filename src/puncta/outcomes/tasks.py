"""The outcome schedule's tasks (django-tasks, run by `puncta worker`): remind the clinic
that a follow-up falls due, then send the patient a single-use link to rate their results
and send photographs. Logged against the patient as messages, like the recalls."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.scheduling.models import PatientMessage

from . import services
from .models import DueStatus, FollowUp, LinkPurpose

WORKER = Actor(label="puncta worker")


def _current(follow_up_id: int, due: str) -> FollowUp | None:
    """The follow-up if this task is still the one that counts (not moved, not done)."""
    follow = (FollowUp.objects.select_for_update(of=("self",))
              .select_related("patient__clinic", "plan__created_by")
              .filter(pk=follow_up_id).first())
    if follow is None or follow.due_on.isoformat() != due:
        return None
    return follow


@task()
def follow_up_remind_clinic(follow_up_id: int, due: str) -> str:
    with transaction.atomic():
        follow = _current(follow_up_id, due)
        if follow is None or follow.status != DueStatus.SCHEDULED:
            return "gone"
        follow.status = DueStatus.REMINDED
        follow.save(update_fields=["status"])
        planner = follow.plan.created_by
        if planner.email:
            with translation.override(planner.language or settings.LANGUAGE_CODE):
                send_mail(_("Outcome follow-up due"),
                          _("The %(m)s-month outcome follow-up of patient %(mrn)s falls due "
                            "on %(d)s.") % {"m": follow.months, "mrn": follow.patient.mrn,
                                            "d": follow.due_on.isoformat()},
                          settings.DEFAULT_FROM_EMAIL, [planner.email])
        record(WORKER, Action.UPDATE, follow, patient_id=follow.patient_id,
               clinic_id=follow.clinic_id, data={"status": follow.status})
    return "reminded"


def base_url() -> str:
    return getattr(settings, "PUNCTA_BASE_URL", "").rstrip("/")


@task()
def follow_up_send_link(follow_up_id: int, due: str) -> str:
    with transaction.atomic():
        follow = _current(follow_up_id, due)
        if follow is None or follow.status in (DueStatus.DONE, DueStatus.SENT,
                                               DueStatus.CANCELLED):
            return "gone"
        patient = follow.patient
        link, raw = services.link_create(
            actor=WORKER, patient=patient, plan=follow.plan, purpose=LinkPurpose.FOLLOW_UP,
            when=services.When("follow_up", months=follow.months))
        url = base_url() + reverse("outcomes:public", args=[raw])
        with translation.override(patient.preferred_language):
            subject = _("How are your results?")
            body = _("Hello %(name)s,\n\nIt has been %(m)s months since your last "
                     "microneedling session. Please tell us how your skin looks now and, if "
                     "you wish, send photographs:\n%(url)s\n\nThe link works once and expires "
                     "on %(date)s.\n")
            fields = {"name": patient.given_name, "m": follow.months,
                      "date": link.expires_at.date().isoformat()}
        if patient.contact_opt_out or not patient.email:
            status, reason = "skipped", ("opted out" if patient.contact_opt_out
                                         else "no email address")
        else:
            send_mail(subject, body % {**fields, "url": url}, settings.DEFAULT_FROM_EMAIL,
                      [patient.email])
            status, reason = "sent", ""
        # The log keeps the message without the link: the token is shown to no one else.
        PatientMessage.objects.create(
            patient=patient, kind="outcome_followup", subject=subject,
            body=body % {**fields, "url": "[link]"}, status=status, reason=reason,
            send_after=timezone.now(), sent_at=timezone.now())
        follow.status = DueStatus.SENT
        follow.link = link
        follow.save(update_fields=["status", "link"])
        record(WORKER, Action.UPDATE, follow, patient_id=patient.pk, clinic_id=follow.clinic_id,
               data={"status": follow.status, "message": status})
    return status
