"""Plans, availability, booking, rescheduling and cancelling over the JSON API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from puncta.accounts.models import Membership
from puncta.audit.models import Action
from puncta.audit.services import Entry, actor_from_request, record, record_many
from puncta.clinics.models import Room
from puncta.devices.models import Device
from puncta.patients import selectors as patient_selectors
from puncta.plans import selectors as plan_selectors
from puncta.plans import services as plan_services
from puncta.plans.forms import parse_depth
from puncta.scheduling import selectors, services
from puncta.scheduling.models import Appointment
from puncta.scheduling.series import propose_series

from .auth import require

router = Router(tags=["plans and scheduling"])



class ZoneIn(Schema):
    zone: str = Field(description="rules zone code, e.g. cheek_left")
    depth_mm: str = Field(description="millimetres with a point, e.g. '1.5'")
    passes: int = Field(3, ge=1, le=20)


class PlanIn(Schema):
    indication: str
    severity: str
    start: dt.date
    device_type: str = "pen"
    numbing_minutes: int = Field(30, ge=15, le=60)
    goals: str = Field("", max_length=2000)
    zones: list[ZoneIn]


class ApproveIn(Schema):
    note: str


class BookIn(Schema):
    number: int = Field(ge=1)
    start: dt.datetime
    practitioner_id: int
    room_id: int
    device_id: int
    supervisor_id: int | None = None
    override_reason: str = ""


class MoveIn(Schema):
    start: dt.datetime
    practitioner_id: int | None = None
    room_id: int | None = None
    device_id: int | None = None
    supervisor_id: int | None = None
    without_supervisor: bool = False
    override_reason: str = ""


class StatusIn(Schema):
    reason: str = ""


def plan_out(p: Any) -> dict[str, Any]:
    return {"id": p.pk, "series": p.series_id or p.pk, "version": p.version,
            "patient_id": p.patient_id, "indication": p.indication, "severity": p.severity,
            "start": p.start.isoformat(), "device_type": p.device_type,
            "numbing_minutes": p.numbing_minutes, "verdict": p.verdict,
            "findings": p.findings, "rules_version": p.rules_version, "course": p.course,
            "zones": [{"zone": z.zone, "depth_mm": str(z.depth_mm), "passes": z.passes}
                      for z in p.zones.all()],
            "approved": p.approved_at is not None, "bookable": p.bookable,
            "superseded": p.superseded_at is not None}


def appt_out(a: Appointment) -> dict[str, Any]:
    return {"id": a.pk, "patient_id": a.patient_id, "plan_id": a.plan_id,
            "session_number": a.session_number, "status": a.status,
            "start": a.start.isoformat(), "treat_start": a.treat_start.isoformat(),
            "end": a.end.isoformat(), "location_id": a.location_id, "room_id": a.room_id,
            "practitioner_id": a.practitioner_id, "supervisor_id": a.supervisor_id,
            "device_id": a.device_id, "window": [str(a.window_earliest), str(a.window_latest)],
            "rules_verdict": a.rules_verdict, "flag": a.flag}


def _refused(exc: services.BookingRefused) -> Status:
    return Status(422, {"detail": "Booking refused.", "refusals": [
        {"code": r.code, "message": r.message, "url": r.url} for r in exc.refusals]})


def _member(request: HttpRequest, pk: int | None) -> Membership | None:
    if pk is None:
        return None
    m = Membership.objects.select_related("user").filter(pk=pk, clinic=request.clinic).first()
    if m is None:
        raise HttpError(422, f"No member {pk} in this clinic.")
    return m


@router.post("/patients/{patient_id}/plans", response={201: dict, 422: dict})
def create_plan(request: HttpRequest, patient_id: int, payload: PlanIn) -> Status:
    require(request, "plan.edit")
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    zones = []
    for i, z in enumerate(payload.zones):
        depth, error = parse_depth(z.depth_mm)
        if error or depth is None:
            return Status(422, {"detail": f"zones[{i}].depth_mm: {error or 'required'}"})
        zones.append((z.zone, Decimal(depth), z.passes))
    try:
        plan = plan_services.plan_save(
            actor=actor_from_request(request), patient=patient, indication=payload.indication,
            severity=payload.severity, start=payload.start, device_type=payload.device_type,
            goals=payload.goals, numbing_minutes=payload.numbing_minutes, zones=zones)
    except plan_services.PlanError as exc:
        return Status(422, {"detail": f"{exc.field}: {exc.message}"})
    return Status(201, plan_out(plan))


@router.get("/plans/{plan_id}")
def read_plan(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    require(request, "plan.view")
    plan = plan_selectors.plan_get(request.clinic.pk, plan_id)
    record(actor_from_request(request), Action.READ, plan, patient_id=plan.patient_id,
           data={"via": "api"})
    return plan_out(plan)


@router.post("/plans/{plan_id}/approve", response={200: dict, 422: dict})
def approve_plan(request: HttpRequest, plan_id: int, payload: ApproveIn) -> Status:
    require(request, "plan.approve")
    plan = plan_selectors.plan_get(request.clinic.pk, plan_id)
    try:
        plan = plan_services.plan_approve(actor=actor_from_request(request), plan=plan,
                                          note=payload.note)
    except plan_services.PlanError as exc:
        return Status(422, {"detail": exc.message})
    return Status(200, plan_out(plan))


@router.get("/plans/{plan_id}/proposal")
def proposal(request: HttpRequest, plan_id: int, practitioner: int | None = None,
             location: int | None = None) -> list[dict[str, Any]]:
    """Availability search: every session of the course, booked or proposed in its window."""
    require(request, "appointment.book")
    plan = plan_selectors.plan_get(request.clinic.pk, plan_id)
    loc = request.clinic.locations.filter(pk=location).first() if location else None
    items = propose_series(plan, practitioner=_member(request, practitioner), location=loc)
    record(actor_from_request(request), Action.READ, plan, patient_id=plan.patient_id,
           data={"via": "api", "what": "proposal"})
    out = []
    for p in items:
        row: dict[str, Any] = {"number": p.number, "earliest": p.earliest.isoformat(),
                               "target": p.target.isoformat(), "latest": p.latest.isoformat(),
                               "problems": p.problems,
                               "appointment": appt_out(p.appointment) if p.appointment
                               else None, "slot": None}
        if p.slot is not None:
            s = p.slot
            row["slot"] = {"start": s.start.isoformat(), "treat_start": s.treat_start.isoformat(),
                           "end": s.end.isoformat(), "practitioner_id": s.practitioner.pk,
                           "supervisor_id": s.supervisor.pk if s.supervisor else None,
                           "room_id": s.room.pk, "device_id": s.device.pk,
                           "location_id": s.location.pk}
        out.append(row)
    return out


def _request(request: HttpRequest, plan: Any, payload: BookIn) -> services.Request:
    room = Room.objects.filter(pk=payload.room_id, location__clinic=request.clinic).first()
    device = Device.objects.filter(pk=payload.device_id, clinic=request.clinic).first()
    practitioner = _member(request, payload.practitioner_id)
    if room is None or device is None or practitioner is None:
        raise HttpError(422, "Unknown room, device or practitioner in this clinic.")
    return services.Request(plan=plan, number=payload.number, start=payload.start,
                            practitioner=practitioner, room=room, device=device,
                            supervisor=_member(request, payload.supervisor_id),
                            override_reason=payload.override_reason)


@router.post("/plans/{plan_id}/appointments", response={201: dict, 422: dict})
def book(request: HttpRequest, plan_id: int, payload: BookIn) -> Status:
    require(request, "appointment.book")
    plan = plan_selectors.plan_get(request.clinic.pk, plan_id)
    try:
        appt = services.book(actor_from_request(request), _request(request, plan, payload))
    except services.BookingRefused as exc:
        return _refused(exc)
    return Status(201, appt_out(appt))


@router.post("/plans/{plan_id}/book-series", response={201: list[dict], 422: dict})
def book_series(request: HttpRequest, plan_id: int) -> Status:
    """Book every session the proposal found a slot for, all or none."""
    require(request, "appointment.book")
    plan = plan_selectors.plan_get(request.clinic.pk, plan_id)
    todo = [p for p in propose_series(plan) if p.slot is not None]
    try:
        appts = services.book_series(actor_from_request(request), [
            services.Request(plan=plan, number=p.number, start=p.slot.start,
                             practitioner=p.slot.practitioner, room=p.slot.room,
                             device=p.slot.device, supervisor=p.slot.supervisor)
            for p in todo if p.slot is not None])
    except services.BookingRefused as exc:
        return _refused(exc)
    return Status(201, [appt_out(a) for a in appts])


@router.get("/appointments")
def list_appointments(request: HttpRequest, date_from: dt.date, date_to: dt.date,
                      location: int | None = None) -> list[dict[str, Any]]:
    require(request, "appointment.view")
    if (date_to - date_from).days > 62:
        raise HttpError(422, "Ask for at most 62 days at a time.")
    locations = request.clinic.locations.all()
    if location:
        locations = locations.filter(pk=location)
    rows: list[Appointment] = []
    for loc in locations:
        rows.extend(selectors.calendar(loc, date_from, date_to))
    record_many(actor_from_request(request), [
        Entry(Action.LIST, "scheduling.appointment", str(a.pk), a.patient_id,
              data={"via": "api"}) for a in rows])
    return [appt_out(a) for a in rows]


@router.patch("/appointments/{appointment_id}", response={200: dict, 422: dict})
def move(request: HttpRequest, appointment_id: int, payload: MoveIn) -> Status:
    require(request, "appointment.book")
    appt = selectors.appointment_get(request.clinic.pk, appointment_id)
    room = (Room.objects.filter(pk=payload.room_id, location__clinic=request.clinic).first()
            if payload.room_id else None)
    device = (Device.objects.filter(pk=payload.device_id, clinic=request.clinic).first()
              if payload.device_id else None)
    try:
        appt = services.move(actor_from_request(request), appt, start=payload.start,
                             practitioner=_member(request, payload.practitioner_id),
                             room=room, device=device,
                             supervisor=_member(request, payload.supervisor_id),
                             without_supervisor=payload.without_supervisor,
                             override_reason=payload.override_reason)
    except services.BookingRefused as exc:
        return _refused(exc)
    return Status(200, appt_out(appt))


@router.post("/appointments/{appointment_id}/cancel", response={200: dict, 422: dict})
def cancel(request: HttpRequest, appointment_id: int, payload: StatusIn) -> Status:
    require(request, "appointment.book")
    appt = selectors.appointment_get(request.clinic.pk, appointment_id)
    try:
        appt = services.set_status(actor_from_request(request), appt, "cancelled",
                                   reason=payload.reason)
    except services.BookingRefused as exc:
        return _refused(exc)
    return Status(200, appt_out(appt))
