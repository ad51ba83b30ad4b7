"""Scheduling pages: a plan's series, the calendar, an appointment, hours, messages."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from puncta.accounts.access import clinic_view
from puncta.accounts.http import ClinicRequest
from puncta.accounts.models import Membership
from puncta.accounts.roles import has_perm, roles_with
from puncta.audit.models import Action
from puncta.audit.services import Entry, actor_from_request, record, record_many
from puncta.clinics import clock
from puncta.clinics.bounds import day_in_range
from puncta.clinics.errors import DomainError
from puncta.clinics.models import Location, Room
from puncta.consent.gate import treatment_gate
from puncta.devices.models import Device
from puncta.plans.selectors import plan_get

from . import ics, selectors, services, staff
from .models import Status, TimeOff, WorkingHours
from .preferred import CHOICES as PREFER_CHOICES
from .preferred import PreferredSlotFinder, time_of_day
from .reflow import reflow_accept, reflow_preview
from .series import propose_series, series_appointments


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _member(request: ClinicRequest, value: Any) -> Membership | None:
    pk = _int(value)
    return Membership.objects.select_related("user").filter(
        pk=pk, clinic=request.clinic, is_active=True).first() if pk else None


def _location(request: ClinicRequest, value: Any) -> Location | None:
    pk = _int(value)
    return Location.objects.filter(pk=pk, clinic=request.clinic).first() if pk else None


def _refused(request: ClinicRequest, exc: services.BookingRefused) -> None:
    for r in exc.refusals:
        messages.error(request, r.message)


def _request_for(plan: Any, item: Any, override: str = "") -> services.Request:
    s = item.slot
    return services.Request(plan=plan, number=item.number, start=s.start,
                            practitioner=s.practitioner, room=s.room, device=s.device,
                            supervisor=s.supervisor, override_reason=override)


@clinic_view("appointment.book")
@require_http_methods(["GET", "POST"])
def series_view(request: ClinicRequest, plan_id: int) -> HttpResponse:
    plan = plan_get(request.clinic.pk, plan_id, rule_inputs=True)
    params = request.POST if request.method == "POST" else request.GET
    practitioner = _member(request, params.get("practitioner"))
    location = _location(request, params.get("location"))
    prefer = time_of_day(params.get("prefer"))
    actor = actor_from_request(request)

    def finder() -> PreferredSlotFinder:
        return PreferredSlotFinder(plan, practitioner=practitioner, location=location,
                                   prefer=prefer)

    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "accept_reflow":
                moved = reflow_accept(actor=actor, plan=plan)
                messages.success(request, _("%(n)s later sessions moved; the patient is told "
                                            "of each new date.") % {"n": len(moved)})
            elif action == "book_all":
                booked = services.series_book(actor=actor, plan=plan, finder=finder())
                messages.success(request, _("%(n)s sessions booked.") % {"n": len(booked)})
            elif action == "book_one":
                number = _int(request.POST.get("number"))
                proposal = propose_series(plan, finder=finder())
                item = next((p for p in proposal if p.number == number and p.slot), None)
                if item is None:
                    messages.error(request, _("That session has no free slot to book."))
                else:
                    services.appointment_book(actor=actor, request=_request_for(plan, item))
                    messages.success(request, _("Session %(n)s booked.") % {"n": number})
            elif action == "book_day":
                number = _int(request.POST.get("number")) or 1
                try:
                    day = dt.date.fromisoformat(request.POST.get("day", ""))
                except ValueError:
                    day = None
                if day is None or not day_in_range(day):
                    messages.error(request, _("Enter the day as year-month-day."))
                else:
                    day_finder = finder()
                    slot = day_finder.find(day)
                    if slot is None:
                        messages.error(request, _("No free slot with an allowed practitioner, "
                                                  "a room and a device on %(d)s.")
                                       % {"d": day.isoformat()})
                        for reason in sorted(day_finder.reasons):
                            messages.error(request, reason)
                    else:
                        services.appointment_book(actor=actor, request=services.Request(
                            plan=plan, number=number, start=slot.start,
                            practitioner=slot.practitioner, room=slot.room,
                            device=slot.device, supervisor=slot.supervisor,
                            override_reason=request.POST.get("override_reason", "")))
                        messages.success(request, _("Session %(n)s booked on %(d)s.")
                                         % {"n": number, "d": day.isoformat()})
        except services.BookingRefused as exc:
            _refused(request, exc)
        query = "&".join(f"{k}={v}" for k, v in (
            ("practitioner", practitioner and practitioner.pk),
            ("location", location and location.pk), ("prefer", prefer)) if v)
        return redirect(f"{request.path}?{query}" if query else request.path)
    search = finder()
    appointments = series_appointments(plan)  # read once for the proposal and the re-flow
    proposal = propose_series(plan, finder=search, appointments=appointments)
    reflow = reflow_preview(plan, appointments=appointments)
    record(actor, Action.READ, plan, patient_id=plan.patient_id, data={"page": "series"})
    return render(request, "scheduling/series.html", {
        "plan": plan, "patient": plan.patient, "proposal": proposal,
        "timeline": selectors.timeline(proposal),
        # the finder already read the clinicians and the locations with rooms
        "practitioners": sorted(search.all_members,
                                key=lambda m: (m.user.last_name, m.user.first_name)),
        "locations": sorted({r.location for rs in search.rooms.values() for r in rs},
                            key=lambda loc: loc.name),
        "prefer": prefer, "times_of_day": PREFER_CHOICES, "reflow": reflow,
        "chosen": practitioner,
        "chosen_location": location,
    })


@clinic_view("appointment.view")
def calendar_view(request: ClinicRequest) -> HttpResponse:
    locations = list(request.clinic.locations.all())
    if not locations:
        raise Http404("No location")
    location = _location(request, request.GET.get("location")) or locations[0]
    view = "day" if request.GET.get("view") == "day" else "week"
    by = "room" if request.GET.get("by") == "room" else "practitioner"
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = clock.today(request.clinic)
    if not day_in_range(day):
        day = clock.today(request.clinic)  # year 1 or 9999: show this week, not overflow
    if view == "week":
        first = day - dt.timedelta(days=day.weekday())
        days = [first + dt.timedelta(days=i) for i in range(7)]
    else:
        days = [day]
    appts = selectors.calendar_rows(location, days[0], days[-1])
    # One audit row per patient shown (who saw patient X is read by patient), with the
    # appointments of theirs on the page; one insert for the page.
    shown: dict[int, list[int]] = {}
    for a in appts:
        shown.setdefault(a["patient_id"], []).append(a["pk"])
    record_many(actor_from_request(request), [
        Entry(Action.LIST, "patients.patient", str(pid), pid,
              data={"page": "calendar", "appointments": pks}) for pid, pks in shown.items()])
    step = dt.timedelta(days=7 if view == "week" else 1)
    return render(request, "scheduling/calendar.html", {
        "location": location, "locations": locations, "view": view, "by": by, "day": day,
        "prev": (days[0] - step).isoformat(), "next": (days[0] + step).isoformat(),
        "grid": selectors.calendar_grid(appts, days, by, location),
        "days": days,
        # the appointment link's prefix, reversed once rather than once per appointment
        "appt_url": reverse("scheduling:appointment", args=[0]).removesuffix("0/"),
    })


DESTRUCTIVE = (Status.MISSED, Status.CANCELLED)


def _appointment_post(request: ClinicRequest, appt: Any, actor: Any) -> HttpResponse:
    if not has_perm(request.membership.role, "appointment.book"):
        raise Http404("Not allowed")
    action = request.POST.get("action")
    here = redirect("scheduling:appointment", appointment_id=appt.pk)
    try:
        if action == "move":
            tz = zoneinfo.ZoneInfo(appt.location.time_zone)
            try:
                day = dt.date.fromisoformat(request.POST.get("date", ""))
                at = dt.time.fromisoformat(request.POST.get("time", ""))
            except ValueError:
                messages.error(request, _("Enter a date (year-month-day) and a time."))
                return here
            if not day_in_range(day):  # year 1 or 9999: a typing slip, not a date
                messages.error(request, _("Enter a date (year-month-day) and a time."))
                return here
            start = dt.datetime.combine(day, at, tzinfo=tz)
            room = Room.objects.filter(pk=_int(request.POST.get("room")) or 0,
                                       location__clinic=request.clinic).first()
            device = Device.objects.filter(pk=_int(request.POST.get("device")) or 0,
                                           clinic=request.clinic).first()
            supervisor = _member(request, request.POST.get("supervisor"))
            services.move(actor, appt, start=start,
                          practitioner=_member(request, request.POST.get("practitioner")),
                          room=room, device=device, supervisor=supervisor,
                          without_supervisor=request.POST.get("supervisor") == "",
                          override_reason=request.POST.get("override_reason", ""),
                          reflow_after=False)
            messages.success(request, _("Appointment moved."))
        elif action == Status.COMPLETED:
            services.set_status(actor, appt, action, reason=request.POST.get("reason", ""),
                                reflow_after=False)
            messages.success(request, _("Appointment marked completed."))
        elif action in DESTRUCTIVE:
            # Destructive: only from the confirmation panel, and always with a reason.
            reason = request.POST.get("reason", "").strip()[:500]
            if request.POST.get("confirm") != "1" or not reason:
                messages.error(request, _("Give a reason, then confirm."))
                return redirect(f"{request.path}?confirm={action}")
            services.set_status(actor, appt, action, reason=reason, reflow_after=False)
            messages.success(request, _("Appointment marked missed.") if action == Status.MISSED
                             else _("Appointment cancelled."))
        elif action == "accept_reflow" and appt.plan is not None:
            moved = reflow_accept(actor=actor, plan=appt.plan)
            messages.success(request, _("%(n)s later sessions moved; the patient is told of "
                                        "each new date.") % {"n": len(moved)})
    except services.BookingRefused as exc:
        _refused(request, exc)
    return here


@clinic_view("appointment.view")
@require_http_methods(["GET", "POST"])
def appointment_view(request: ClinicRequest, appointment_id: int) -> HttpResponse:
    appt = selectors.appointment_get(request.clinic.pk, appointment_id)
    actor = actor_from_request(request)
    if request.method == "POST":
        return _appointment_post(request, appt, actor)
    record(actor, Action.READ, appt, patient_id=appt.patient_id)
    tz = zoneinfo.ZoneInfo(appt.location.time_zone)
    confirm = request.GET.get("confirm", "")
    started = clock.now() >= appt.start
    if confirm not in DESTRUCTIVE or (confirm == Status.MISSED and not started):
        confirm = ""
    return render(request, "scheduling/appointment.html", {
        "appt": appt, "patient": appt.patient,
        "local_start": appt.start.astimezone(tz), "local_treat": appt.treat_start.astimezone(tz),
        "local_end": appt.end.astimezone(tz),
        "practitioners": selectors.clinicians(request.clinic.pk),
        "rooms": Room.objects.filter(location=appt.location, is_active=True),
        "devices": Device.objects.filter(clinic=request.clinic, status="in_service"),
        "times": [dt.time(h, m) for h in range(7, 21) for m in (0, 15, 30, 45)],
        "messages_log": appt.messages.all()[:50],
        "started": started, "confirm": confirm,
        # which later sessions need new dates (one query); the dates themselves are
        # proposed on the series page, where the slot search runs once for the course
        "proposal": reflow_preview(appt.plan, find_slots=False) if appt.plan else [],
        "supervisor_roles": roles_with("procedure.supervise"),
        # Consent withdrawn or screening lapsed since booking: shown before the day comes.
        "gate": treatment_gate(appt.patient, clock.local_date(appt.location, appt.start))
        if appt.status == Status.BOOKED else [],
    })


@clinic_view("appointment.view")
def series_ics(request: ClinicRequest, plan_id: int) -> HttpResponse:
    plan = plan_get(request.clinic.pk, plan_id)
    appts = selectors.series_list(plan)
    record(actor_from_request(request), Action.EXPORT, plan, patient_id=plan.patient_id,
           data={"format": "ics"})
    return _ics_response(ics.calendar_of(appts, _("Microneedling")), f"series-{plan.pk}.ics")


@clinic_view("appointment.view")
def practitioner_ics(request: ClinicRequest, membership_id: int) -> HttpResponse:
    member = _member(request, membership_id)
    if member is None:
        raise Http404("No such practitioner")
    appts = selectors.practitioner_list(member)
    record_many(actor_from_request(request), [
        Entry(Action.EXPORT, "scheduling.appointment", str(a.pk), a.patient_id,
              data={"format": "ics"}) for a in appts])
    return _ics_response(ics.calendar_of(appts, str(member.user)),
                         f"calendar-{member.pk}.ics")


def _ics_response(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@clinic_view("clinic.manage")
@require_http_methods(["GET", "POST"])
def hours_view(request: ClinicRequest) -> HttpResponse:
    if request.method == "POST":
        actor, clinic_id = actor_from_request(request), request.clinic.pk
        try:
            if request.POST.get("form") == "time_off":
                staff.time_off_add(
                    actor=actor, clinic_id=clinic_id,
                    membership=_member(request, request.POST.get("membership")),
                    first_day=_day(request.POST.get("start")),
                    last_day=_day(request.POST.get("end")),
                    reason=request.POST.get("reason", ""))
                messages.success(request, _("Time off added."))
            elif request.POST.get("form") == "contact":
                staff.clinic_contact_set(
                    actor=actor, clinic=request.clinic, phone=request.POST.get("phone", ""),
                    emergency_instructions=request.POST.get("emergency_instructions", ""))
                messages.success(request, _("Clinic contact saved: it is printed on every "
                                            "aftercare sheet."))
            elif request.POST.get("form") == "supervision":
                staff.clinic_supervision_set(actor=actor, clinic=request.clinic,
                                             on_site=request.POST.get("on_site") == "on")
                messages.success(request, _("Supervision setting saved."))
            elif request.POST.get("delete_off"):
                staff.time_off_remove(actor=actor, clinic_id=clinic_id,
                                      time_off_id=_int(request.POST["delete_off"]) or 0)
            elif request.POST.get("delete"):
                staff.working_hours_remove(actor=actor, clinic_id=clinic_id,
                                           hours_id=_int(request.POST["delete"]) or 0)
            else:
                staff.working_hours_add(
                    actor=actor, clinic_id=clinic_id,
                    membership=_member(request, request.POST.get("membership")),
                    location=_location(request, request.POST.get("location")),
                    weekdays=[int(d) for d in request.POST.getlist("weekday")
                              if d in ("0", "1", "2", "3", "4", "5", "6")],
                    start=_time(request.POST.get("start")), end=_time(request.POST.get("end")),
                    on_site=request.POST.get("on_site") == "on")
                messages.success(request, _("Working hours added."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("scheduling:hours")
    return render(request, "scheduling/hours.html", {
        "hours": WorkingHours.objects.filter(membership__clinic=request.clinic)
        .select_related("membership__user", "location").order_by(
            "membership__user__last_name", "weekday", "start"),
        "members": selectors.clinicians(request.clinic.pk),
        "locations": request.clinic.locations.all(),
        "weekdays": WorkingHours._meta.get_field("weekday").choices,
        "time_off": TimeOff.objects.filter(membership__clinic=request.clinic,
                                           end__gte=timezone.now())
        .select_related("membership__user").order_by("start"),
    })


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _time(value: Any) -> dt.time | None:
    try:
        return dt.time.fromisoformat(value or "")
    except ValueError:
        return None


@clinic_view("appointment.view")
def messages_view(request: ClinicRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = selectors.clinic_messages(request.clinic.pk, status)[:200]
    rows = list(qs)
    record_many(actor_from_request(request), [
        Entry(Action.LIST, "scheduling.patientmessage", str(m.pk), m.patient_id)
        for m in rows])
    return render(request, "scheduling/messages.html", {"rows": rows, "status": status})
