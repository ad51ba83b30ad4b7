"""A re-flow shown before it happens: after a move, a miss or a cancellation, the later
sessions that fall outside their windows are *proposed* new slots; the desk accepts the
proposal (or books by hand), and the patient is told of every session that moved.

Nothing here changes an appointment until ``reflow_accept``; the preview runs the same
window arithmetic and slot search as ``services.reflow``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.clinics import clock
from puncta.plans.models import TreatmentPlan

from . import services
from .availability import Slot
from .models import Appointment, PatientMessage, Status
from .series import SlotFinder, _days, course_windows, local_date, series_appointments

KIND = "rescheduled"


@dataclass(frozen=True)
class ProposedMove:
    appointment: Appointment
    earliest: dt.date
    latest: dt.date
    slot: Slot | None  # None: no free slot fits the window, rebook by hand

    @property
    def local_start(self) -> dt.datetime | None:
        if self.slot is None:
            return None
        return clock.local_now(self.slot.location, self.slot.start)


def reflow_preview(plan: TreatmentPlan, *, find_slots: bool = True,
                   appointments: list[Appointment] | None = None) -> list[ProposedMove]:
    """The booked sessions now outside their windows, each with the slot a re-flow would
    give it (``find_slots=False``: only which sessions, in one query, for pages that link
    to the full proposal). ``appointments``: the series' appointments when the caller
    read them."""
    moves: list[ProposedMove] = []
    dates: list[dt.date] = []
    today = clock.today(plan.patient.clinic) if find_slots else None
    for appt in series_appointments(plan) if appointments is None else appointments:
        n = appt.session_number or 1
        course = course_windows(plan, dates[: n - 1])
        if n > len(course.sessions):
            break
        w = course.sessions[n - 1]
        day = local_date(appt)
        if appt.status == Status.BOOKED and n > 1 and not w.earliest <= day <= w.latest \
                and not appt.override_reason:
            if today is None:
                moves.append(ProposedMove(appt, w.earliest, w.latest, None))
                dates.append(day)
                continue
            finder = SlotFinder(plan, practitioner=appt.practitioner, location=appt.location,
                                ignore=[appt.pk])
            slot = None
            for candidate in _days(w.earliest, w.target, w.latest, today):
                slot = finder.find(candidate)
                if slot is not None:
                    day = candidate
                    break
            moves.append(ProposedMove(appt, w.earliest, w.latest, slot))
        dates.append(day)
    return moves


def _tell_patient(appt: Appointment) -> PatientMessage:
    """The patient hears of the new date (logged like every reminder)."""
    from .reminders import _when, send_patient_message

    with translation.override(appt.patient.preferred_language):
        subject = _("Your microneedling session has a new date")
        body = _("Hello %(name)s,\n\nTo keep your course on schedule, your session %(n)s is "
                 "now on %(when)s at %(where)s. Call us if this time does not suit you.\n") % {
            "name": appt.patient.given_name, "n": appt.session_number, "when": _when(appt),
            "where": f"{appt.clinic.name}, {appt.location.name}"}
    msg = PatientMessage.objects.create(patient=appt.patient, appointment=appt, kind=KIND,
                                        subject=subject, body=body, status="queued",
                                        send_after=clock.now())
    transaction.on_commit(lambda: send_patient_message.enqueue(msg.pk))
    return msg


def reflow_accept(*, actor: Actor, plan: TreatmentPlan) -> list[Appointment]:
    """Apply the proposed re-flow; every session that moved gets a message to the patient."""
    with transaction.atomic():
        before = {a.pk: a.start for a in series_appointments(plan)}
        changed = services.reflow(actor, plan)
        moved = [a for a in changed if not a.flag and before.get(a.pk) != a.start]
        for appt in moved:
            appt = Appointment.objects.select_related("patient", "clinic", "location").get(
                pk=appt.pk)
            _tell_patient(appt)
        record(actor, Action.UPDATE, plan, patient_id=plan.patient_id,
               data={"reflow_accepted": [a.pk for a in moved]})
    return moved
