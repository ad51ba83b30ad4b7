"""Plan pages: create or revise with the zone map, view with findings, approve."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from puncta.accounts.access import clinic_view
from puncta.audit.models import Action
from puncta.audit.services import actor_from_request, record
from puncta.clinics import clock
from puncta.patients import selectors as patient_selectors

from . import selectors, services, zonemap
from .forms import PlanForm, zone_rows
from .models import TreatmentPlan


def _zone_view(plan_zones: dict[str, Any], findings: list[dict[str, Any]],
               errors: dict[str, str] | None = None, data: Any = None) -> list[dict[str, Any]]:
    """Rows for the form and the map: value, findings and the worst severity per zone."""
    rows = []
    rank = {"refuse": 3, "review": 2, "note": 1}
    for row in zone_rows():
        code = row["code"]
        mine = [f for f in findings if f.get("zone", "").split("_left")[0].split("_right")[0]
                == code]
        planned = plan_zones.get(code)
        worst = max((rank.get(f["severity"], 0) for f in mine), default=0)
        state = {3: "refuse", 2: "review", 1: "ok", 0: "ok" if planned else "none"}[worst]
        rows.append({**row, "findings": mine, "state": state,
                     "depth": (data.get(f"depth-{code}", "") if data is not None
                               else (planned["depth"] if planned else "")),
                     "passes": (data.get(f"passes-{code}", "3") if data is not None
                                else (planned["passes"] if planned else 3)),
                     "side": (data.get(f"side-{code}", "") if data is not None
                              else (planned["side"] if planned else "")),
                     "error": (errors or {}).get(code, "")})
    return rows


def _planned(plan: TreatmentPlan) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for z in plan.zones.all():
        base, _, side = z.zone.partition("_")
        side = z.zone.rsplit("_", 1)[1] if z.zone.endswith(("_left", "_right")) else ""
        base = z.zone[: -len(side) - 1] if side else z.zone
        if base in out and out[base]["side"] != side:
            side = ""  # both sides planned alike
        out[base] = {"depth": z.depth_mm, "passes": z.passes, "side": side}
    return out


@clinic_view("plan.edit")
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, pk: int, plan_id: int | None = None) -> HttpResponse:
    patient = patient_selectors.patient_get(request.clinic.pk, pk)
    previous = selectors.plan_get(request.clinic.pk, plan_id) if plan_id else None
    if previous is not None and previous.patient_id != patient.pk:
        previous = None
    initial: dict[str, Any] = {"start": clock.today(request.clinic), "numbing_minutes": 30,
                               "severity": "moderate"}
    if previous is not None:
        initial.update(indication=previous.indication, severity=previous.severity,
                       start=previous.start, device_type=previous.device_type,
                       goals=previous.goals, numbing_minutes=previous.numbing_minutes)
    elif patient.concerns:
        initial["indication"] = patient.concerns[0]
    form = PlanForm(request.POST or None, initial=initial)
    error = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            plan = services.plan_save(
                actor=actor_from_request(request), patient=patient, indication=d["indication"],
                severity=d["severity"], start=d["start"], device_type=d["device_type"],
                goals=d["goals"], numbing_minutes=d["numbing_minutes"], zones=form.zones,
                previous=previous)
        except services.PlanError as exc:
            error = exc.message
        else:
            messages.success(request, _("Plan saved (version %(v)s).") % {"v": plan.version})
            return redirect("plans:detail", plan_id=plan.pk)
    if request.method != "POST":
        record(actor_from_request(request), Action.READ, previous or patient,
               patient_id=patient.pk, data={"page": "plan-form"})
    rows = _zone_view(_planned(previous) if previous else {}, previous.findings
                      if previous else [], form.zone_errors,
                      request.POST if request.method == "POST" else None)
    return render(request, "plans/edit.html", {
        "patient": patient, "form": form, "rows": rows, "previous": previous, "error": error,
        "zonemap": zonemap.render(rows)})


@clinic_view("plan.view")
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.plan_get(request.clinic.pk, plan_id)
    record(actor_from_request(request), Action.READ, plan, patient_id=plan.patient_id)
    rows = _zone_view(_planned(plan), plan.findings)
    return render(request, "plans/detail.html", {
        "plan": plan, "patient": plan.patient, "rows": rows, "zonemap": zonemap.render(rows),
        "zones": list(plan.zones.all()), "versions": selectors.plan_versions(plan),
        "sessions": plan.course.get("sessions", []),
    })


@clinic_view("plan.approve")
@require_POST
def plan_approve(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.plan_get(request.clinic.pk, plan_id)
    try:
        services.plan_approve(actor=actor_from_request(request), plan=plan,
                              note=request.POST.get("note", ""))
    except services.PlanError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Plan approved."))
    return redirect("plans:detail", plan_id=plan.pk)
