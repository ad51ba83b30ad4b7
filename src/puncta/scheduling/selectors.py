"""Reads for scheduling pages: constant query counts whatever the calendar's size."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from puncta import facts, rules
from puncta.accounts.models import Membership
from puncta.accounts.roles import CLINICAL_ROLES
from puncta.clinics import clock
from puncta.clinics.models import Location
from puncta.plans.models import TreatmentPlan

from .availability import day_bounds
from .models import LIVE, Appointment, Kind, PatientMessage, Status

RELATED = ("patient__clinic", "practitioner__user", "supervisor__user", "room", "device",
           "location", "plan")


def clinicians(clinic_id: int) -> QuerySet[Membership]:
    return Membership.objects.select_related("user").filter(
        clinic_id=clinic_id, is_active=True,
        role__in=sorted(CLINICAL_ROLES)).order_by("user__last_name", "user__first_name")


def appointment_get(clinic_id: int, appointment_id: int) -> Appointment:
    try:
        return Appointment.objects.select_related(*RELATED).get(pk=appointment_id,
                                                                clinic_id=clinic_id)
    except (Appointment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such appointment") from None


def calendar(location: Location, first: dt.date, last: dt.date) -> QuerySet[Appointment]:
    lo, _ = day_bounds(first, location.time_zone)
    _, hi = day_bounds(last, location.time_zone)
    return (Appointment.objects.select_related(*RELATED)
            # sessions never cross midnight: a lower bound on start lets the index serve it
            .filter(location=location, start__gte=lo - dt.timedelta(days=1), start__lt=hi,
                    end__gt=lo)
            .exclude(status="cancelled").order_by("start"))


# What a calendar cell shows, read as values (no model instances: a busy week shows ~1,000).
CALENDAR_FIELDS = ("pk", "status", "patient_id", "patient__given_name", "patient__family_name",
                   "practitioner_id", "practitioner__user__first_name",
                   "practitioner__user__last_name", "practitioner__user__username", "room_id",
                   "room__name", "session_number", "start", "treat_start", "end")


def calendar_rows(location: Location, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    """The appointments a calendar shows, as the values its cells print."""
    return list(calendar(location, first, last).select_related(None).values(*CALENDAR_FIELDS))


def _person(first: str, last: str, username: str) -> str:
    # as str(User): the full name, else the username
    return f"{first} {last}".strip() or username


def calendar_grid(appts: list[dict[str, Any]], days: list[dt.date], by: str,
                  location: Location) -> dict[str, Any]:
    """Columns (practitioners or rooms) × days, each cell the appointments in time order,
    with local times for display. ``appts`` are ``calendar_rows``."""
    tz = zoneinfo.ZoneInfo(location.time_zone)
    columns: dict[int, str] = {}
    cells: dict[tuple[int, dt.date], list[dict[str, Any]]] = {}
    for a in appts:
        practitioner = _person(a["practitioner__user__first_name"],
                               a["practitioner__user__last_name"],
                               a["practitioner__user__username"])
        key = a["room_id"] if by == "room" else a["practitioner_id"]
        columns.setdefault(key, a["room__name"] if by == "room" else practitioner)
        local = a["start"].astimezone(tz)
        cells.setdefault((key, local.date()), []).append({
            "pk": a["pk"], "status": a["status"], "session_number": a["session_number"],
            "patient": f"{a['patient__given_name']} {a['patient__family_name']}",
            "detail": practitioner if by == "room" else a["room__name"],
            # "H:i" formatted here: the template's time filter was a third of the page
            "start": local.strftime("%H:%M"), "end": a["end"].astimezone(tz).strftime("%H:%M")})
    ordered = sorted(columns.items(), key=lambda kv: kv[1])
    return {"columns": [{"id": k, "name": v} for k, v in ordered],
            "rows": [{"day": d, "cells": [cells.get((k, d), []) for k, _ in ordered]}
                     for d in days]}


def series_list(plan: TreatmentPlan) -> list[Appointment]:
    root = plan.series_id or plan.pk
    return list(Appointment.objects.select_related(*RELATED).filter(
        series_id=root, status__in=LIVE).order_by("start"))


def practitioner_list(member: Membership) -> list[Appointment]:
    return list(Appointment.objects.select_related(*RELATED).filter(
        practitioner=member, status__in=LIVE).order_by("start")[:1000])


def clinic_day(clinic_id: int, day: dt.date, tz: str) -> QuerySet[Appointment]:
    """Every live appointment of the clinic on a day (the dashboard's list)."""
    lo, hi = day_bounds(day, tz)
    return (Appointment.objects.select_related(*RELATED)
            .filter(clinic_id=clinic_id, start__gte=lo, start__lt=hi)
            .exclude(status="cancelled").order_by("start"))


def patient_upcoming(patient_id: int, since: dt.datetime) -> QuerySet[Appointment]:
    return (Appointment.objects.select_related(*RELATED)
            .filter(patient_id=patient_id, start__gte=since, status="booked").order_by("start"))


def clinic_messages(clinic_id: int, status: str = "") -> QuerySet[PatientMessage]:
    qs = PatientMessage.objects.select_related("patient", "appointment").filter(
        patient__clinic_id=clinic_id)
    if status in {"queued", "sent", "skipped", "cancelled"}:
        qs = qs.filter(status=status)
    return qs.order_by("-send_after", "-id")


def timeline(proposal: list[Any]) -> dict[str, Any]:
    """Sessions against their windows, as percentages of the course's span (for bars)."""
    if not proposal:
        return {"rows": []}
    start = min(p.earliest for p in proposal)
    end = max(p.latest for p in proposal)
    span = max((end - start).days, 1)

    def pct(d: dt.date) -> float:
        return round((d - start).days / span * 100, 1)

    rows = []
    for p in proposal:
        when = None
        if p.appointment is not None:
            when = p.appointment.start.date()
        elif p.slot is not None:
            when = p.slot.start.date()
        rows.append({"number": p.number, "left": pct(p.earliest),
                     "width": max(pct(p.latest) - pct(p.earliest), 1.0),
                     "mark": pct(when) if when else None, "booked": p.appointment is not None})
    return {"rows": rows, "start": start, "end": end}


def sessions_done(patient_id: int, *, exclude: int | None = None
                  ) -> tuple[rules.PreviousSession, ...]:
    """Every completed treatment of the patient, whatever the course, with the zones of its
    plan: the rules' spacing check counts them all by zone. One query (a row per zone)."""
    qs = Appointment.objects.filter(patient_id=patient_id, status=Status.COMPLETED,
                                    kind=Kind.TREATMENT)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    sessions: dict[int, tuple[dt.date, list[str]]] = {}
    for pk, start, tz, zone in qs.values_list("pk", "start", "location__time_zone",
                                              "plan__zones__zone"):
        day = start.astimezone(clock.zone(tz)).date()
        zones = sessions.setdefault(pk, (day, []))[1]
        if zone:
            zones.append(zone)
    return facts.previous(sorted(sessions.values(), key=lambda r: r[0]))
