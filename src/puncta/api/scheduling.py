"""Plans, availability, booking, rescheduling and cancelling over the JSON API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from puncta.accounts.http import ClinicRequest
from puncta.accounts.models import Membership
from puncta.audit.models import Action
from puncta.audit.services import Entry, actor_from_request, record, record_many
from puncta.clinics.errors import DomainError
from puncta.clinics.models import Location, Room
from puncta.devices.models import Device
from puncta.patients import selectors as patient_selectors
from puncta.plans import selectors as plan_selectors
from puncta.plans import services as plan_services
from puncta.plans.forms import parse_depth
from puncta.scheduling import ics, selectors, services
from puncta.scheduling.models import Appointment
from puncta.scheduling.series import propose_series

from .auth import require
from .pagination import Page, PageIn, page
from .schemas import Day, Instant

router = Router(tags=["plans and scheduling"])


class ZoneIn(Schema):
    zone: str = Field(max_length=40, description="rules zone code, e.g. cheek_left")
    depth_mm: str = Field(max_length=10, description="millimetres with a point, e.g. '1.5'")
    passes: int = Field(3, ge=1, le=20)


class PlanIn(Schema):
    indication: str = Field(max_length=40)
    severity: str = Field(max_length=20)
    start: Day
    device_type: str = Field("pen", max_length=20)
    numbing_minutes: int = Field(30, ge=15, le=60)
    goals: str = Field("", max_length=2000)
    zones: list[ZoneIn] = Field(max_length=30)


class ZoneOut(Schema):
    zone: str
    depth_mm: str
    passes: int


class PlanOut(Schema):
    id: int
    series: int
    version: int
    patient_id: int
    indication: str
    severity: str
    start: dt.date
    device_type: str
    numbing_minutes: int
    verdict: str
    findings: list[dict[str, Any]]
    rules_version: str
    course: dict[str, Any]
    zones: list[ZoneOut]
    approved: bool
    bookable: bool
    superseded: bool


class ApproveIn(Schema):
    note: str = Field(max_length=2000)


class BookIn(Schema):
    number: int = Field(ge=1, le=100)
    start: Instant
    practitioner_id: int
    room_id: int
    device_id: int
    supervisor_id: int | None = None
    override_reason: str = Field("", max_length=500)


class MoveIn(Schema):
    start: Instant
    practitioner_id: int | None = None
    room_id: int | None = None
    device_id: int | None = None
    supervisor_id: int | None = None
    without_supervisor: bool = False
    override_reason: str = Field("", max_length=500)


class StatusIn(Schema):
    reason: str = Field("", max_length=500)


class AppointmentOut(Schema):
    id: int
    patient_id: int
    plan_id: int | None
    session_number: int | None
    status: str
    start: dt.datetime
    treat_start: dt.datetime
    end: dt.datetime
    location_id: int
    room_id: int | None
    practitioner_id: int
    supervisor_id: int | None
    device_id: int | None
    window: list[dt.date | None]
    rules_verdict: str
    flag: str


class SlotOut(Schema):
    start: dt.datetime
    treat_start: dt.datetime
    end: dt.datetime
    practitioner_id: int
    supervisor_id: int | None
    room_id: int
    device_id: int
    location_id: int


class ProposedOut(Schema):
    number: int
    earliest: dt.date
    target: dt.date
    latest: dt.date
    problems: list[str]
    appointment: AppointmentOut | None
    slot: SlotOut | None


class CalendarIn(Schema):
    date_from: Day
    date_to: Day
    location: int | None = None


def plan_out(p: Any) -> dict[str, Any]:
    return {"id": p.pk, "series": p.series_id or p.pk, "version": p.version,
            "patient_id": p.patient_id, "indication": p.indication, "severity": p.severity,
            "start": p.start, "device_type": p.device_type,
            "numbing_minutes": p.numbing_minutes, "verdict": p.verdict,
            "findings": p.findings, "rules_version": p.rules_version, "course": p.course,
            "zones": [{"zone": z.zone, "depth_mm": str(z.depth_mm), "passes": z.passes}
                      for z in p.zones.all()],
            "approved": p.approved_at is not None, "bookable": p.bookable,
            "superseded": p.superseded_at is not None}


def appt_out(a: Appointment) -> dict[str, Any]:
    return {"id": a.pk, "patient_id": a.patient_id, "plan_id": a.plan_id,
            "session_number": a.session_number, "status": a.status,
            "start": a.start, "treat_start": a.treat_start, "end": a.end,
            "location_id": a.location_id, "room_id": a.room_id,
            "practitioner_id": a.practitioner_id, "supervisor_id": a.supervisor_id,
            "device_id": a.device_id, "window": [a.window_earliest, a.window_latest],
            "rules_verdict": a.rules_verdict, "flag": a.flag}


def _unknown(field: str, pk: int) -> DomainError:
    return DomainError(f"No {field.removesuffix('_id')} {pk} in this clinic.",
                       code="resource.unknown", field=field)


def _member(request: ClinicRequest, pk: int | None, field: str) -> Membership | None:
    """The clinic's member, or None when not given; another clinic's id is refused."""
    if pk is None:
        return None
    m = Membership.objects.select_related("user").filter(pk=pk, clinic=request.clinic).first()
    if m is None:
        raise _unknown(field, pk)
    return m


def _room(request: ClinicRequest, pk: int | None) -> Room | None:
    if pk is None:
        return None
    room = Room.objects.filter(pk=pk, location__clinic=request.clinic).first()
    if room is None:
        raise _unknown("room_id", pk)
    return room


def _device(request: ClinicRequest, pk: int | None) -> Device | None:
    if pk is None:
        return None
    device = Device.objects.filter(pk=pk, clinic=request.clinic).first()
    if device is None:
        raise _unknown("device_id", pk)
    return device


def _location(request: ClinicRequest, pk: int | None) -> Location | None:
    if pk is None:
        return None
    loc = request.clinic.locations.filter(pk=pk).first()
    if loc is None:
        raise _unknown("location", pk)
    return loc  # type: ignore[no-any-return]


@router.post("/patients/{patient_id}/plans", response={201: PlanOut})
def create_plan(request: ClinicRequest, patient_id: int, payload: PlanIn) -> Status:
    require(request, "plan.edit")
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    zones = []
    for i, z in enumerate(payload.zones):
        depth, error = parse_depth(z.depth_mm)
        if error or depth is None:
            raise DomainError(f"zones[{i}].depth_mm: {error or 'required'}",
                              code="plan.depth", field=f"zones.{i}.depth_mm")
        zones.append((z.zone, Decimal(depth), z.passes))
    plan = plan_services.plan_save(
        actor=actor_from_request(request), patient=patient, indication=payload.indication,
        severity=payload.severity, start=payload.start, device_type=payload.device_type,
        goals=payload.goals, numbing_minutes=payload.numbing_minutes, zones=zones)
    return Status(201, plan_out(plan))


@router.get("/plans/{plan_id}", response=PlanOut)
def read_plan(request: ClinicRequest, plan_id: int) -> dict[str, Any]:
    require(request, "plan.view")
    plan = plan_selectors.plan_get(request.clinic.pk, plan_id)
    record(actor_from_request(request), Action.READ, plan, patient_id=plan.patient_id,
           data={"via": "api"})
    return plan_out(plan)


@router.post("/plans/{plan_id}/approve", response=PlanOut)
def approve_plan(request: ClinicRequest, plan_id: int, payload: ApproveIn) -> dict[str, Any]:
    require(request, "plan.approve")
    plan = plan_selectors.plan_get(request.clinic.pk, plan_id)
    plan = plan_services.plan_approve(actor=actor_from_request(request), plan=plan,
                                      note=payload.note)
    return plan_out(plan)


@router.get("/plans/{plan_id}/proposal", response=Page[ProposedOut])
def proposal(request: ClinicRequest, plan_id: int, paging: Query[PageIn],
             practitioner: int | None = None, location: int | None = None) -> dict[str, Any]:
    """Availability search: every session of the course, booked or proposed in its window."""
    require(request, "appointment.book")
    plan = plan_selectors.plan_get(request.clinic.pk, plan_id, rule_inputs=True)
    items = propose_series(plan, practitioner=_member(request, practitioner, "practitioner"),
                           location=_location(request, location))
    record(actor_from_request(request), Action.READ, plan, patient_id=plan.patient_id,
           data={"via": "api", "what": "proposal"})
    result = page(items, paging)
    out = []
    for p in result["items"]:
        row: dict[str, Any] = {"number": p.number, "earliest": p.earliest,
                               "target": p.target, "latest": p.latest,
                               "problems": [str(x) for x in p.problems],
                               "appointment": appt_out(p.appointment) if p.appointment
                               else None, "slot": None}
        if p.slot is not None:
            s = p.slot
            row["slot"] = {"start": s.start, "treat_start": s.treat_start, "end": s.end,
                           "practitioner_id": s.practitioner.pk,
                           "supervisor_id": s.supervisor.pk if s.supervisor else None,
                           "room_id": s.room.pk, "device_id": s.device.pk,
                           "location_id": s.location.pk}
        out.append(row)
    result["items"] = out
    return result


@router.post("/plans/{plan_id}/appointments", response={201: AppointmentOut})
def book(request: ClinicRequest, plan_id: int, payload: BookIn) -> Status:
    require(request, "appointment.book")
    plan = plan_selectors.plan_get(request.clinic.pk, plan_id, rule_inputs=True)
    req = services.Request(
        plan=plan, number=payload.number, start=payload.start,
        practitioner=_member(request, payload.practitioner_id, "practitioner_id"),  # type: ignore[arg-type]
        room=_room(request, payload.room_id),  # type: ignore[arg-type]
        device=_device(request, payload.device_id),  # type: ignore[arg-type]
        supervisor=_member(request, payload.supervisor_id, "supervisor_id"),
        override_reason=payload.override_reason)
    appt = services.appointment_book(actor=actor_from_request(request), request=req)
    return Status(201, appt_out(appt))


@router.post("/plans/{plan_id}/book-series", response={201: list[AppointmentOut]})
def book_series(request: ClinicRequest, plan_id: int, practitioner: int | None = None,
                location: int | None = None) -> Status:
    """Book every session the proposal found a slot for, all or none (optionally with one
    practitioner, at one location)."""
    require(request, "appointment.book")
    plan = plan_selectors.plan_get(request.clinic.pk, plan_id, rule_inputs=True)
    appts = services.series_book(
        actor=actor_from_request(request), plan=plan,
        practitioner=_member(request, practitioner, "practitioner"),
        location=_location(request, location))
    return Status(201, [appt_out(a) for a in appts])


@router.get("/appointments", response=Page[AppointmentOut])
def list_appointments(request: ClinicRequest, when: Query[CalendarIn],
                      paging: Query[PageIn]) -> dict[str, Any]:
    require(request, "appointment.view")
    if not 0 <= (when.date_to - when.date_from).days <= 62:
        raise DomainError("Ask for at most 62 days at a time, date_from first.",
                          code="range", field="date_to")
    locations: list[Location] = list(request.clinic.locations.all())
    if when.location is not None:
        locations = [loc for loc in [_location(request, when.location)] if loc is not None]
    rows: list[Appointment] = []
    for loc in locations:
        rows.extend(selectors.calendar(loc, when.date_from, when.date_to))
    result = page(rows, paging)
    record_many(actor_from_request(request), [
        Entry(Action.LIST, "scheduling.appointment", str(a.pk), a.patient_id,
              data={"via": "api"}) for a in result["items"]])
    result["items"] = [appt_out(a) for a in result["items"]]
    return result


@router.patch("/appointments/{appointment_id}", response=AppointmentOut)
def move(request: ClinicRequest, appointment_id: int, payload: MoveIn) -> dict[str, Any]:
    require(request, "appointment.book")
    appt = selectors.appointment_get(request.clinic.pk, appointment_id)
    appt = services.appointment_move(actor=actor_from_request(request), appointment=appt,
                                     start=payload.start,
                         practitioner=_member(request, payload.practitioner_id,
                                              "practitioner_id"),
                         room=_room(request, payload.room_id),
                         device=_device(request, payload.device_id),
                         supervisor=_member(request, payload.supervisor_id, "supervisor_id"),
                         without_supervisor=payload.without_supervisor,
                         override_reason=payload.override_reason)
    return appt_out(appt)


@router.post("/appointments/{appointment_id}/cancel", response=AppointmentOut)
def cancel(request: ClinicRequest, appointment_id: int, payload: StatusIn) -> dict[str, Any]:
    require(request, "appointment.book")
    appt = selectors.appointment_get(request.clinic.pk, appointment_id)
    appt = services.appointment_status_set(actor=actor_from_request(request), appointment=appt,
                                          status="cancelled",
                               reason=payload.reason)
    return appt_out(appt)


@router.get("/plans/{plan_id}/series.ics", response={200: None},
            openapi_extra={"responses": {"200": {
                "description": "the course's sessions as an iCalendar file",
                "content": {"text/calendar": {"schema": {"type": "string"}}}}}})
def series_ics(request: ClinicRequest, plan_id: int) -> HttpResponse:
    require(request, "appointment.view")
    plan = plan_selectors.plan_get(request.clinic.pk, plan_id)
    appts = selectors.series_list(plan)
    record(actor_from_request(request), Action.EXPORT, plan, patient_id=plan.patient_id,
           data={"format": "ics", "via": "api"})
    response = HttpResponse(ics.calendar_of(appts, _("Microneedling")),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="series-{plan.pk}.ics"'
    return response
