"""Booking, moving, cancelling and re-flowing appointments: one transaction each, the
database has the last word on overlaps, every refusal says why."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from puncta import rules
from puncta.accounts.models import Membership
from puncta.accounts.roles import has_perm
from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.clinics import clock
from puncta.clinics.bounds import FIRST_DAY, LAST_DAY, day_in_range
from puncta.clinics.errors import DomainError
from puncta.clinics.models import Room
from puncta.consent.gate import treatment_gate
from puncta.devices.models import Device
from puncta.plans.models import TreatmentPlan

from . import durations
from .availability import Calendar
from .eligibility import Eligibility
from .models import LIVE, Appointment, Kind, Status
from .selectors import sessions_done
from .series import course_windows, local_date, propose_series, series_appointments


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    url: str = ""


def _input_refusal(exc: rules.RulesInputError) -> Refusal:
    if exc.field == "patient.birth_date":
        return Refusal("date.before_birth", _(
            "The session date is before the patient's date of birth. Choose a later date."))
    return Refusal("booking.input", _("The rules cannot check this booking: %(why)s")
                   % {"why": exc.message})


class BookingRefused(DomainError):
    def __init__(self, refusals: list[Refusal]) -> None:
        super().__init__("; ".join(str(r.message) for r in refusals),
                         code=refusals[0].code if len(refusals) == 1 else "booking.refused")
        self.refusals = refusals

    def details(self) -> dict[str, Any]:
        return {"refusals": [{"code": r.code, "message": str(r.message), "url": r.url}
                             for r in self.refusals]}


@dataclass(frozen=True)
class Request:
    """What the front desk asks for: a session of a plan at a time with resources."""

    plan: TreatmentPlan
    number: int
    start: dt.datetime
    practitioner: Membership
    room: Room
    device: Device
    supervisor: Membership | None = None
    override_reason: str = ""


def _window(plan: TreatmentPlan, number: int, others: list[Appointment]
            ) -> tuple[dt.date, dt.date]:
    """Session ``number``'s window, counted from the other sessions' dates."""
    dates = [local_date(a) for a in others if a.session_number and a.session_number < number]
    course = course_windows(plan, dates[: number - 1])
    if number > len(course.sessions):
        raise BookingRefused([Refusal("series.too_many", _(
            "The course has %(n)s sessions.") % {"n": len(course.sessions)})])
    w = course.sessions[number - 1]
    return w.earliest, w.latest


def check(actor: Actor, req: Request, *, exclude: int | None = None
          ) -> tuple[list[Refusal], dict[str, Any]]:
    """Everything that would stop this booking, and the facts to store with it."""
    if not day_in_range(req.start):
        return [Refusal("date.out_of_range", _("Enter a date between %(a)s and %(b)s.") % {
            "a": FIRST_DAY.isoformat(), "b": LAST_DAY.isoformat()})], {}
    plan, patient = req.plan, req.plan.patient
    clinic = patient.clinic
    location = req.room.location
    tz = zoneinfo.ZoneInfo(location.time_zone)
    day = req.start.astimezone(tz).date()
    refusals: list[Refusal] = []
    # Screening and consent must be in order when booking; the chart re-checks them on
    # the day of each session (a later session may need a renewed screening by then).
    for p in treatment_gate(patient, clock.today(clinic)):
        refusals.append(Refusal(p.code, p.message, p.url))
    if not plan.bookable:
        refusals.append(Refusal("plan.not_bookable", _(
            "The plan is not bookable: it is superseded, closed, refused by the rules or "
            "waiting for a physician's approval.")))
    for obj in (req.practitioner, req.supervisor):
        if obj is not None and obj.clinic_id != clinic.pk:
            refusals.append(Refusal("resource.other_clinic", _("Wrong clinic.")))
    if location.clinic_id != clinic.pk or req.device.clinic_id != clinic.pk:
        refusals.append(Refusal("resource.other_clinic", _("Wrong clinic.")))
    if req.device.status != "in_service":
        refusals.append(Refusal("device.not_in_service", _("The device is not in service.")))
    siblings = [a for a in series_appointments(plan) if a.pk != exclude]
    earliest, latest = _window(plan, req.number, siblings)
    outside = not earliest <= day <= latest
    if outside:
        if not req.override_reason.strip() or not has_perm(actor.role, "appointment.override"):
            refusals.append(Refusal("window.outside", _(
                "Session %(n)s must be between %(a)s and %(b)s; outside its window it needs a "
                "physician's override with a reason.") % {
                    "n": req.number, "a": earliest.isoformat(), "b": latest.isoformat()}))
    before = [local_date(a) for a in siblings if (a.session_number or 0) < req.number]
    after = [local_date(a) for a in siblings if (a.session_number or 0) > req.number]
    if (before and day <= max(before)) or (after and day >= min(after)):
        # Even with an override, sessions of a course keep their order, one a day at most.
        refusals.append(Refusal("series.order", _(
            "Session %(n)s must fall after the session before it and before the one after "
            "it.") % {"n": req.number}))
    try:
        decision = Eligibility(plan, sessions_done(patient.pk, exclude=exclude)).decide(
            req.practitioner, req.supervisor, req.device, day)
    except rules.RulesInputError as exc:
        # Facts the rules cannot judge (a day before the patient was born) refuse this
        # booking outright, never a server error; nothing below means anything then.
        return [*refusals, _input_refusal(exc)], {}
    for f in decision.findings:
        if f.severity == "refuse":
            refusals.append(Refusal(f.code, f.message))
    if req.supervisor is not None and not has_perm(req.supervisor.role,
                                                   "procedure.supervise"):
        refusals.append(Refusal("supervision.not_physician", _(
            "The supervisor must be a physician.")))
    if req.supervisor is not None and req.supervisor.pk == req.practitioner.pk:
        refusals.append(Refusal("supervision.self", _(
            "A practitioner cannot supervise their own session.")))
    numbing = plan.numbing_minutes
    start, treat, end = durations.intervals(req.start, numbing_min=numbing,
                                            zone_count=plan.zones.count(),
                                            severity=plan.severity)
    cal = Calendar(clinic, ignore=[exclude] if exclude else [])
    cal.load_day(day, location.time_zone)
    if not cal.works(req.practitioner.pk, location, treat, end) or cal.off(
            req.practitioner.pk, treat, end):
        refusals.append(Refusal("practitioner.not_working", _(
            "%(who)s is not working at %(where)s then.") % {
                "who": req.practitioner.user, "where": location.name}))
    if req.supervisor is not None and (not cal.works(
            req.supervisor.pk, location, treat, end, on_site=clinic.supervision_on_site)
            or cal.off(req.supervisor.pk, treat, end)):
        refusals.append(Refusal("supervision.unavailable", _(
            "The supervising physician is not available then.")))
    for key, label, lo in ((f"room:{req.room.pk}", _("The room"), start),
                           (f"pr:{req.practitioner.pk}", _("The practitioner"), treat),
                           (f"dev:{req.device.pk}", _("The device"), treat)):
        if not cal.free(key, lo, end):
            refusals.append(Refusal("slot.taken", _("%(what)s is already booked then.")
                                    % {"what": label}))
    facts = {"start": start, "treat_start": treat, "end": end, "outside": outside,
             "window": (earliest, latest), "decision": decision}
    return refusals, facts


def _save_rules(appt: Appointment, facts: dict[str, Any]) -> None:
    decision = facts["decision"]
    appt.rules_verdict = decision.verdict  # type: ignore[attr-defined]
    appt.rules_findings = [f.to_dict() for f in decision.findings]  # type: ignore[attr-defined]
    appt.rules_version = decision.rules_version  # type: ignore[attr-defined]


def appointment_book(*, actor: Actor, request: Request) -> Appointment:
    req = request
    with transaction.atomic():
        refusals, facts = check(actor, req)
        if refusals:
            raise BookingRefused(refusals)
        earliest, latest = facts["window"]
        appt = Appointment(
            clinic=req.plan.patient.clinic, location=req.room.location,
            patient=req.plan.patient, plan=req.plan, series_id=req.plan.series_id or req.plan.pk,
            session_number=req.number, kind=Kind.TREATMENT, practitioner=req.practitioner,
            supervisor=req.supervisor, room=req.room, device=req.device,
            start=facts["start"], treat_start=facts["treat_start"], end=facts["end"],
            window_earliest=earliest, window_latest=latest, created_by=actor.user,
            override_reason=req.override_reason.strip() if facts["outside"] else "",
            override_by=actor.user if facts["outside"] else None,
        )
        _save_rules(appt, facts)
        try:
            with transaction.atomic():
                appt.save()
        except IntegrityError:
            # PostgreSQL's exclusion constraint: someone took the slot a moment ago.
            raise BookingRefused([Refusal("slot.taken", _(
                "This slot was just taken by another booking. Choose another time."))]
            ) from None
        record(actor, Action.CREATE, appt, patient_id=appt.patient_id,
               reason=appt.override_reason,
               data={"session": req.number, "start": appt.start.isoformat(),
                     "practitioner": req.practitioner.pk, "room": req.room.pk,
                     "device": req.device.pk,
                     "supervisor": req.supervisor.pk if req.supervisor else None})
        from .reminders import schedule_for

        transaction.on_commit(lambda: schedule_for(appt.pk))
    return appt


def appointment_series_book(*, actor: Actor, requests: list[Request]) -> list[Appointment]:
    """All sessions or none."""
    with transaction.atomic():
        return [appointment_book(actor=actor, request=r) for r in requests]


def appointment_move(*, actor: Actor, appointment: Appointment, start: dt.datetime,
                     practitioner: Membership | None = None, room: Room | None = None,
                     device: Device | None = None, supervisor: Membership | None = None,
                     override_reason: str = "", reflow_after: bool = True,
                     without_supervisor: bool = False) -> Appointment:
    appt = appointment
    plan = appt.plan
    if plan is None or appt.status != Status.BOOKED:
        raise BookingRefused([Refusal("appointment.not_movable", _(
            "Only a booked session of a plan can be moved."))])
    req = Request(plan=plan, number=appt.session_number or 1, start=start,
                  practitioner=practitioner or appt.practitioner, room=room or appt.room,
                  # A treatment is always booked with a device.
                  device=device or appt.device,  # type: ignore[arg-type]
                  supervisor=None if without_supervisor else (supervisor or appt.supervisor),
                  override_reason=override_reason)
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appt.pk)
        refusals, facts = check(actor, req, exclude=locked.pk)
        if refusals:
            raise BookingRefused(refusals)
        old = locked.start
        locked.start, locked.treat_start, locked.end = (facts["start"], facts["treat_start"],
                                                        facts["end"])
        locked.practitioner, locked.room, locked.device = (req.practitioner, req.room,
                                                           req.device)
        locked.supervisor = req.supervisor
        locked.window_earliest, locked.window_latest = facts["window"]  # type: ignore[misc]
        locked.override_reason = override_reason.strip() if facts["outside"] else ""
        locked.override_by = actor.user if facts["outside"] else None
        locked.flag = ""
        locked.version += 1
        _save_rules(locked, facts)
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise BookingRefused([Refusal("slot.taken", _(
                "This slot was just taken by another booking. Choose another time."))]
            ) from None
        record(actor, Action.UPDATE, locked, patient_id=locked.patient_id,
               reason=locked.override_reason,
               data={"moved_from": old.isoformat(), "to": locked.start.isoformat()})
        if reflow_after:
            series_reflow(actor=actor, plan=plan)
        from .reminders import schedule_for

        transaction.on_commit(lambda: schedule_for(locked.pk))
    return locked


def appointment_status_set(*, actor: Actor, appointment: Appointment, status: str,
                           reason: str = "", reflow_after: bool = True) -> Appointment:
    """Completed, missed or cancelled; a missed or cancelled session frees its number, the
    later sessions move up one, and the rest of the course re-flows (or, with
    ``reflow_after=False``, waits for the desk to accept the proposed re-flow)."""
    appt = appointment
    if status not in (Status.COMPLETED, Status.MISSED, Status.CANCELLED):
        raise BookingRefused([Refusal("status.invalid", _("Unknown status."))])
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appt.pk)
        if locked.status != Status.BOOKED:
            raise BookingRefused([Refusal("status.final", _(
                "This appointment is already %(s)s.") % {"s": locked.get_status_display()})])
        if status in (Status.COMPLETED, Status.MISSED) and locked.start > clock.now():
            # Only a session that happened is completed (the chart signed after it), and
            # only one whose time has come can be missed.
            raise BookingRefused([Refusal("status.not_yet", _(
                "This appointment has not started yet: it can be completed or marked missed "
                "only from its start time."))])
        locked.status = status
        locked.version += 1
        locked.save(update_fields=["status", "version", "updated_at"])
        record(actor, Action.UPDATE, locked, patient_id=locked.patient_id, reason=reason,
               data={"status": status})
        if status != Status.COMPLETED:
            from .reminders import cancel_for

            cancel_for(locked.pk)
        if status != Status.COMPLETED and locked.series_id and locked.session_number:
            later = Appointment.objects.filter(
                series_id=locked.series_id, status__in=LIVE,
                session_number__gt=locked.session_number).order_by("session_number")
            for a in later:
                Appointment.objects.filter(pk=a.pk).update(
                    session_number=(a.session_number or 1) - 1)
        if locked.plan is not None and reflow_after:
            series_reflow(actor=actor, plan=locked.plan)
    return locked


def series_reflow(*, actor: Actor, plan: TreatmentPlan) -> list[Appointment]:
    """Later sessions follow the actual dates: a booked session now outside its window
    moves to the nearest free slot inside it, or is flagged when none exists."""
    from .series import SlotFinder, _days

    changed: list[Appointment] = []
    appts = series_appointments(plan)
    dates: list[dt.date] = []
    for appt in appts:
        n = appt.session_number or 1
        course = course_windows(plan, dates[: n - 1])
        if n > len(course.sessions):
            break
        w = course.sessions[n - 1]
        day = local_date(appt)
        if appt.status == Status.BOOKED and n > 1 and not w.earliest <= day <= w.latest \
                and not appt.override_reason:
            finder = SlotFinder(plan, practitioner=appt.practitioner, location=appt.location,
                                ignore=[appt.pk])
            slot = None
            today = clock.today(plan.patient.clinic)
            for candidate in _days(w.earliest, w.target, w.latest, today):
                slot = finder.find(candidate)
                if slot is not None:
                    break
            if slot is None:
                msg = _("Outside its window (%(a)s to %(b)s) after a change to the course, and "
                        "no free slot fits: rebook it.") % {"a": w.earliest.isoformat(),
                                                             "b": w.latest.isoformat()}
                Appointment.objects.filter(pk=appt.pk).update(flag=msg)
                appt.flag = msg
            else:
                appt = appointment_move(
                    actor=actor, appointment=appt, start=slot.start,
                    practitioner=slot.practitioner, room=slot.room, device=slot.device,
                    supervisor=slot.supervisor, reflow_after=False)
                day = local_date(appt)
            changed.append(appt)
        dates.append(day)
    return changed


def series_book(*, actor: Actor, plan: TreatmentPlan, practitioner: Membership | None = None,
                location: Any = None, finder: Any = None) -> list[Appointment]:
    """Propose the course and book every session the proposal found a slot for, all or
    none: the one "book the series" of the web page and the API. ``finder`` (a SlotFinder,
    e.g. one keeping to a preferred time of day) replaces the default search."""
    if not plan.bookable:
        # Refused by the rules, waiting for a physician's approval, superseded or closed:
        # say so with a code, never a "success" that books nothing.
        code = ("plan.refused" if plan.verdict == "refuse" else
                "plan.awaiting_approval" if plan.verdict == "review" and not plan.approved_at
                else "plan.not_bookable")
        raise BookingRefused([Refusal(code, {
            "plan.refused": _("The rules refuse this plan: change it before booking."),
            "plan.awaiting_approval": _("This plan is waiting for a physician's approval: it "
                                        "can be booked once approved."),
        }.get(code, _("This plan cannot be booked: it is superseded or closed.")))])
    with transaction.atomic():
        proposal = (propose_series(plan, finder=finder) if finder is not None else
                    propose_series(plan, practitioner=practitioner, location=location))
        todo = [p for p in proposal if p.slot is not None]
        if not todo:
            raise BookingRefused([Refusal("series.no_slot", _(
                "Nothing to book: no session has a free slot."))])
        return appointment_series_book(actor=actor, requests=[
            Request(plan=plan, number=p.number, start=p.slot.start,
                    practitioner=p.slot.practitioner, room=p.slot.room, device=p.slot.device,
                    supervisor=p.slot.supervisor)
            for p in todo if p.slot is not None])


# Positional forms kept for callers written before the services were named
# <entity>_<verb>(*, actor, ...) (other branches merge in parallel); new code calls the
# named services above. Thin delegations, no logic of their own.
def book(actor: Actor, req: Request) -> Appointment:
    return appointment_book(actor=actor, request=req)


def book_series(actor: Actor, requests: list[Request]) -> list[Appointment]:
    return appointment_series_book(actor=actor, requests=requests)


def move(actor: Actor, appt: Appointment, **kwargs: Any) -> Appointment:
    return appointment_move(actor=actor, appointment=appt, **kwargs)


def set_status(actor: Actor, appt: Appointment, status: str, **kwargs: Any) -> Appointment:
    return appointment_status_set(actor=actor, appointment=appt, status=status, **kwargs)


def reflow(actor: Actor, plan: TreatmentPlan) -> list[Appointment]:
    return series_reflow(actor=actor, plan=plan)
