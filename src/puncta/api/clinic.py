"""The clinic over the JSON API: its staff (memberships with roles), locations and rooms,
working hours, time off and the supervision setting. The same services as the hours page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Query, Router, Schema, Status
from pydantic import Field

from puncta.accounts.http import ClinicRequest
from puncta.accounts.models import Membership
from puncta.audit.services import actor_from_request
from puncta.clinics.models import Location
from puncta.scheduling import staff
from puncta.scheduling.models import TimeOff, WorkingHours

from .auth import require
from .pagination import Page, PageIn, page
from .schemas import Day, LocalTime

router = Router(tags=["clinic and staff"])


class MemberOut(Schema):
    id: int
    user_id: int
    name: str
    role: str
    is_medical_director: bool
    registration_number: str
    registration_body: str
    is_active: bool


class RoomOut(Schema):
    id: int
    name: str
    is_active: bool


class LocationOut(Schema):
    id: int
    name: str
    address: str
    time_zone: str
    rooms: list[RoomOut]


class HoursIn(Schema):
    membership_id: int
    location_id: int
    weekdays: list[int] = Field(min_length=1, max_length=7, description="0 = Monday")
    start: LocalTime
    end: LocalTime
    on_site: bool = True


class HoursOut(Schema):
    id: int
    membership_id: int
    location_id: int
    weekday: int
    start: LocalTime
    end: LocalTime
    on_site: bool


class TimeOffIn(Schema):
    membership_id: int
    first_day: Day
    last_day: Day
    reason: str = Field("", max_length=200)


class TimeOffOut(Schema):
    id: int
    membership_id: int
    start: dt.datetime
    end: dt.datetime
    reason: str


class SupervisionIn(Schema):
    on_site: bool = Field(description="a supervising physician must be on site")


class SupervisionOut(Schema):
    on_site: bool


def _member_out(m: Membership) -> dict[str, Any]:
    return {"id": m.pk, "user_id": m.user_id, "name": m.user.get_full_name() or str(m.user),
            "role": m.role, "is_medical_director": m.is_medical_director,
            "registration_number": m.registration_number,
            "registration_body": m.registration_body, "is_active": m.is_active}


def _member(request: ClinicRequest, pk: int) -> Membership | None:
    return Membership.objects.select_related("clinic").filter(
        pk=pk, clinic=request.clinic).first()


@router.get("/staff", response=Page[MemberOut])
def staff_list(request: ClinicRequest, paging: Query[PageIn]) -> dict[str, Any]:
    """The clinic's members with their roles (ids for booking and charting)."""
    require(request, "appointment.view")
    result = page(Membership.objects.filter(clinic=request.clinic).select_related("user")
                  .order_by("user__last_name", "user__first_name", "id"), paging)
    result["items"] = [_member_out(m) for m in result["items"]]
    return result


@router.get("/locations", response=Page[LocationOut])
def locations(request: ClinicRequest, paging: Query[PageIn]) -> dict[str, Any]:
    require(request, "appointment.view")
    result = page(Location.objects.filter(clinic=request.clinic).prefetch_related("rooms")
                  .order_by("name", "id"), paging)
    result["items"] = [{"id": loc.pk, "name": loc.name, "address": loc.address,
                        "time_zone": loc.time_zone,
                        "rooms": [{"id": r.pk, "name": r.name, "is_active": r.is_active}
                                  for r in loc.rooms.all()]} for loc in result["items"]]
    return result


@router.get("/staff/hours", response=Page[HoursOut])
def hours_list(request: ClinicRequest, paging: Query[PageIn]) -> Any:
    require(request, "appointment.view")
    return page(WorkingHours.objects.filter(membership__clinic=request.clinic)
                .order_by("membership_id", "weekday", "start", "id"), paging)


@router.post("/staff/hours", response={201: list[HoursOut]})
def hours_add(request: ClinicRequest, payload: HoursIn) -> Status:
    require(request, "clinic.manage")
    rows = staff.working_hours_add(
        actor=actor_from_request(request), clinic_id=request.clinic.pk,
        membership=_member(request, payload.membership_id),
        location=request.clinic.locations.filter(pk=payload.location_id).first(),
        weekdays=payload.weekdays, start=payload.start, end=payload.end,
        on_site=payload.on_site)
    return Status(201, rows)


@router.delete("/staff/hours/{hours_id}", response={204: None})
def hours_remove(request: ClinicRequest, hours_id: int) -> Status:
    require(request, "clinic.manage")
    staff.working_hours_remove(actor=actor_from_request(request), clinic_id=request.clinic.pk,
                               hours_id=hours_id)
    return Status(204, None)


@router.get("/staff/time-off", response=Page[TimeOffOut])
def time_off_list(request: ClinicRequest, paging: Query[PageIn]) -> Any:
    require(request, "appointment.view")
    return page(TimeOff.objects.filter(membership__clinic=request.clinic)
                .order_by("start", "id"), paging)


@router.post("/staff/time-off", response={201: TimeOffOut})
def time_off_add(request: ClinicRequest, payload: TimeOffIn) -> Status:
    require(request, "clinic.manage")
    off = staff.time_off_add(actor=actor_from_request(request), clinic_id=request.clinic.pk,
                             membership=_member(request, payload.membership_id),
                             first_day=payload.first_day, last_day=payload.last_day,
                             reason=payload.reason)
    return Status(201, off)


@router.delete("/staff/time-off/{time_off_id}", response={204: None})
def time_off_remove(request: ClinicRequest, time_off_id: int) -> Status:
    require(request, "clinic.manage")
    staff.time_off_remove(actor=actor_from_request(request), clinic_id=request.clinic.pk,
                          time_off_id=time_off_id)
    return Status(204, None)


@router.get("/clinic/supervision", response=SupervisionOut)
def supervision(request: ClinicRequest) -> dict[str, Any]:
    require(request, "appointment.view")
    return {"on_site": request.clinic.supervision_on_site}


@router.put("/clinic/supervision", response=SupervisionOut)
def supervision_set(request: ClinicRequest, payload: SupervisionIn) -> dict[str, Any]:
    require(request, "clinic.manage")
    clinic = staff.clinic_supervision_set(actor=actor_from_request(request),
                                          clinic=request.clinic, on_site=payload.on_site)
    return {"on_site": clinic.supervision_on_site}
