"""Charting pages: the chart at the point of care (autosaved with htmx, findings at the
field), sign, co-sign queue, amendments, aftercare sheet, adverse events."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from puncta.accounts.access import clinic_view
from puncta.accounts.http import ClinicRequest
from puncta.accounts.roles import has_perm
from puncta.audit.models import Action
from puncta.audit.services import Entry, actor_from_request, record, record_many
from puncta.clinics import clock
from puncta.patients import selectors as patient_selectors
from puncta.plans import zonemap
from puncta.plans.forms import indication_choices, zone_rows
from puncta.plans.selectors import plans_of
from puncta.scheduling.selectors import appointment_get

from . import forms, selectors, services
from .aftercare import aftercare_context
from .corrections import chart_correct_equipment
from .models import AEKind, AEPhase, AESeverity, AEStatus, Chart, ChartStatus
from .pdf import aftercare_pdf
from .returns import chart_resubmit, chart_return
from .timeline import course as course_timeline

FIXED_BLOCKS = ("precheck", "today", "session", "practitioner", "supervisor", "device", "lot",
                "zones", "general", "cleansing", "topicals", "notes", "duration",
                "numbing-product", "numbing-concentration", "numbing-amount_g",
                "numbing-area_cm2", "numbing-occluded", "numbing-applied_at",
                "numbing-removed_at", "numbing-adult", "numbing-broken_skin", "photos",
                "consent_exception")
RANK = {"refuse": 3, "review": 2, "note": 1}


def _block(findings: list[dict[str, Any]], error: str = "", *, todo: bool = False
           ) -> dict[str, Any]:
    """A block's findings. Until the person has entered something in the block (``todo``),
    its refusals read as a to-do list, not as red refusals on a chart nobody typed in."""
    worst = max((RANK.get(f["severity"], 0) for f in findings), default=0)
    state = {3: "refuse", 2: "review", 1: "note", 0: ""}[worst]
    if todo and not error and state == "refuse":
        state = "todo"
    return {"findings": findings, "error": error, "state": state, "todo": state == "todo"}


def _untouched(chart: Chart) -> set[str]:
    """The blocks the person has not entered anything in yet."""
    content = chart.content or {}
    empty = forms.empty_content()
    out: set[str] = set()
    today = content.get("today") or {}
    if not any(today.get(k) for k in empty["today"]):
        out |= {"today", "precheck"}
    numbing = content.get("numbing") or {}
    if not any(numbing.get(k) for k in ("product", "concentration", "amount_g", "area_cm2",
                                        "applied_at", "removed_at")):
        out |= {ui for ui in FIXED_BLOCKS if ui.startswith("numbing-")}
    if not content.get("lot_number") and chart.lot_id is None:
        out.add("lot")
    if chart.device_id is None:
        out.add("device")
    for key, ui in (("cleansing", "cleansing"), ("topicals", "topicals"), ("notes", "notes"),
                    ("duration_min", "duration")):
        if not content.get(key):
            out.add(ui)
    entered = {forms.base_zone(z["zone"]) for z in content.get("zones", [])
               if z.get("passes") or z.get("pattern") or z.get("endpoint")}
    out |= {f"zone-{r['code']}" for r in zone_rows() if r["code"] not in entered}
    if not entered:
        out.add("zones")
    return out


def chart_context(chart: Chart, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """Blocks (findings and input errors by field), zone rows and the zone map."""
    errors = dict(chart.input_errors or {}) if errors is None else errors
    by_ui: dict[str, list[dict[str, Any]]] = {}
    for f in chart.findings:
        ui = f.get("ui", "general")
        by_ui.setdefault(ui, []).append(f)
    known = set(FIXED_BLOCKS) | {f"zone-{r['code']}" for r in zone_rows()}
    for ui in list(by_ui):
        if ui not in known:
            by_ui.setdefault("general", []).extend(by_ui.pop(ui))
    untouched = _untouched(chart)
    blocks = {ui.replace("-", "_"): _block(by_ui.get(ui, []), errors.get(ui, ""),
                                           todo=ui in untouched)
              for ui in FIXED_BLOCKS}
    current = {forms.base_zone(z["zone"]): z for z in chart.content.get("zones", [])}
    rows = []
    for row in zone_rows():
        code = row["code"]
        z = current.get(code)
        b = _block(by_ui.get(f"zone-{code}", []), errors.get(f"zone-{code}", ""),
                   todo=f"zone-{code}" in untouched)
        side = z["zone"][len(code) + 1:] if z else ""
        state = {"refuse": "refuse", "review": "review"}.get(b["state"], "ok" if z else "none")
        rows.append({**row, "z": z or {}, "side": side, "depth": z["depth_mm"] if z else "",
                     "fb": b, "state": state, "ui": f"zone-{code}",
                     # planned (or already charted) zones come first; the rest wait behind
                     # "add a zone"
                     "planned": z is not None or code in errors_zone(errors)})
    fb_list = [(ui, blocks[ui.replace("-", "_")]) for ui in FIXED_BLOCKS]
    fb_list += [(r["ui"], r["fb"]) for r in rows]
    return {"chart": chart, "blocks": blocks, "rows": rows, "fb_list": fb_list,
            "zonemap": zonemap.render(rows), "content": chart.content,
            "numbing": chart.content.get("numbing", {}), "today": chart.content.get("today", {}),
            "patterns": forms.PATTERNS, "endpoints": forms.ENDPOINTS,
            "today_rows": [{"key": k, "label": label, "checked": bool(
                chart.content.get("today", {}).get(k))} for k, _f, label in forms.TODAY_QUESTIONS],
            "medications": forms.medication_choices(),
            "numbing_products": forms.numbing_choices(),
            "planned_rows": [r for r in rows if r["planned"]],
            "other_rows": [r for r in rows if not r["planned"]],
            "todos": sum(1 for ui, b in fb_list if b["todo"]),
            "refusals": sum(1 for f in chart.findings if f["severity"] == "refuse"
                            and not dict(fb_list).get(_known(f.get("ui", "general"), known),
                                                      {}).get("todo")),
            "reviews": sum(1 for f in chart.findings if f["severity"] == "review"),
            "input_error_count": len(errors)}


def _known(ui: str, known: set[str]) -> str:
    return ui if ui in known else "general"


def errors_zone(errors: dict[str, str]) -> set[str]:
    """Zones with an input error stay in view (the typed value needs fixing)."""
    return {k[len("zone-"):] for k in errors if k.startswith("zone-")}


def _version(request: ClinicRequest) -> int:
    try:
        return int(request.POST.get("version", "0"))
    except ValueError:
        return 0


def _audit_listed(request: ClinicRequest, page: str, appointments: list[Any],
                  rows: list[dict[str, Any]]) -> None:
    """One audit insert for every patient a list page names (appointments and charts)."""
    entries = [Entry(Action.LIST, "scheduling.appointment", str(a.pk), a.patient_id,
                     data={"page": page}) for a in appointments]
    entries += [Entry(Action.LIST, "charting.chart", str(r["chart"].pk), r["chart"].patient_id,
                      data={"page": page}) for r in rows]
    record_many(actor_from_request(request), entries)


@clinic_view("chart.view")
def home(request: ClinicRequest) -> HttpResponse:
    m = request.membership
    to_chart = list(selectors.to_chart_today(request.clinic.pk, clock.today(request.clinic)))
    drafts = selectors.unsigned_drafts(request.clinic.pk)
    pending = selectors.pending_cosign(m)  # the queue and the returned, one query
    queue = selectors.cosign_queue(m, pending) if has_perm(m.role, "chart.cosign") else []
    returned = sorted((c for c in pending if c.returned_at is not None
                       and c.practitioner_id == m.pk), key=lambda c: (c.on, c.pk),
                      reverse=True)  # as Chart.Meta.ordering: latest first
    _audit_listed(request, "charts", to_chart,
                  [*drafts, *queue, *({"chart": c} for c in returned)])
    return render(request, "charting/home.html", {
        "to_chart": to_chart, "drafts": drafts, "queue": queue, "returned": returned})


@clinic_view("chart.cosign")
def cosign_queue(request: ClinicRequest) -> HttpResponse:
    queue = selectors.cosign_queue(request.membership)
    drafts = selectors.unsigned_drafts(request.clinic.pk)
    _audit_listed(request, "cosign-queue", [], [*queue, *drafts])
    return render(request, "charting/queue.html", {"queue": queue, "drafts": drafts})


@clinic_view("chart.edit")
@require_POST
def start(request: ClinicRequest, appointment_id: int) -> HttpResponse:
    appt = appointment_get(request.clinic.pk, appointment_id)
    try:
        chart = services.chart_start(actor=actor_from_request(request), appointment=appt)
    except services.ChartError as exc:
        messages.error(request, exc.message)
        return redirect("charting:home")
    return redirect("charting:chart", pk=chart.pk)


@clinic_view("chart.edit")
@require_http_methods(["GET", "POST"])
def walk_in(request: ClinicRequest, patient_id: int) -> HttpResponse:
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    plans = list(plans_of(patient))
    error = ""
    if request.method == "POST":
        plan = next((p for p in plans if str(p.pk) == request.POST.get("plan")), None)
        try:
            chart = services.chart_start_walk_in(
                actor=actor_from_request(request), patient=patient,
                practitioner=request.membership, plan=plan,
                indication=request.POST.get("indication", ""),
                severity=request.POST.get("severity", ""))
        except services.ChartError as exc:
            error = exc.message
        else:
            return redirect("charting:chart", pk=chart.pk)
    else:
        record(actor_from_request(request), Action.READ, patient, patient_id=patient.pk,
               data={"page": "walk-in"})
    return render(request, "charting/walk_in.html", {
        "patient": patient, "plans": plans, "indications": indication_choices(),
        "error": error})


@clinic_view("chart.view")
@require_http_methods(["GET", "POST"])
def chart_view(request: ClinicRequest, pk: int) -> HttpResponse:
    chart = selectors.chart_get(request.clinic.pk, pk)
    actor = actor_from_request(request)
    if request.method == "GET":
        record(actor, Action.READ, chart, patient_id=chart.patient_id)
        if chart.locked:
            return _locked(request, chart)
        return _draft(request, chart)
    if not has_perm(request.membership.role, "chart.edit"):
        raise PermissionDenied
    conflict = False
    errors: dict[str, str] | None = None
    try:
        chart, errors = services.chart_save(actor=actor, chart=chart,
                                            expected_version=_version(request),
                                            data=forms.from_post(request.POST))
    except services.StaleChart:
        conflict = True
    except services.ChartError as exc:
        messages.error(request, exc.message)
        return redirect("charting:chart", pk=chart.pk)
    if request.htmx:
        ctx = chart_context(chart, errors)
        ctx.update(conflict=conflict, saved_at=timezone.localtime())
        return render(request, "charting/_feedback.html", ctx)
    if conflict:
        messages.error(request, services.StaleChart().message)
        return redirect("charting:chart", pk=chart.pk)
    if "sign" in request.POST and not errors:
        try:
            services.chart_sign(actor=actor, chart=chart, expected_version=chart.version)
        except services.ChartError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Chart signed and locked."))
        return redirect("charting:chart", pk=chart.pk)
    if errors:
        messages.error(request, _("Some fields need attention; they are marked. Everything "
                                  "else is saved."))
    else:
        messages.success(request, _("Draft saved."))
    return redirect("charting:chart", pk=chart.pk)


def copied_input(chart: Chart, previous: Chart) -> dict[str, Any]:
    """The chart's current input with the previous session's treatment copied in: zones
    (depth, passes, pattern, speed, endpoint), cleansing, numbing product and amounts,
    topicals. Today's questions, times, notes and the lot are never copied: they are this
    session's facts."""
    content = chart.content or {}
    prev = previous.content or {}
    numbing = {**forms.empty_content()["numbing"], **(content.get("numbing") or {})}
    for key in ("used", "product", "concentration", "amount_g", "area_cm2", "occluded"):
        numbing[key] = (prev.get("numbing") or {}).get(key, numbing[key])
    return {
        "practitioner_id": chart.practitioner_id, "supervisor_id": chart.supervisor_id,
        "device_id": chart.device_id or previous.device_id,
        "lot_number": content.get("lot_number", ""),
        "today": content.get("today") or {}, "photos_taken": content.get("photos_taken"),
        "cleansing": prev.get("cleansing") or content.get("cleansing", ""),
        "numbing": numbing,
        "zones": [dict(z) for z in prev.get("zones", [])],
        "topicals": prev.get("topicals") or content.get("topicals", ""),
        "duration_min": content.get("duration_min"), "notes": content.get("notes", ""),
    }


@clinic_view("chart.edit")
@require_POST
def copy_last(request: ClinicRequest, pk: int) -> HttpResponse:
    chart = selectors.chart_get(request.clinic.pk, pk)
    previous = selectors.previous_signed(chart)
    if previous is None or chart.locked:
        messages.error(request, _("There is no earlier signed session to copy."))
        return redirect("charting:chart", pk=chart.pk)
    try:
        services.chart_save(actor=actor_from_request(request), chart=chart,
                            expected_version=_version(request),
                            data=copied_input(chart, previous))
    except services.StaleChart:
        messages.error(request, services.StaleChart().message)
    except services.ChartError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Copied from the session of %(on)s: check each zone "
                                    "before signing.") % {"on": previous.on.isoformat()})
    return redirect("charting:chart", pk=chart.pk)


def _draft(request: ClinicRequest, chart: Chart) -> HttpResponse:
    ctx = chart_context(chart)
    ctx["previous_chart"] = selectors.previous_signed(chart)
    ctx.update(selectors.clinic_choices(request.clinic.pk))
    ctx["can_sign"] = chart.practitioner.user_id == request.user.pk
    ctx["ae_form"] = _ae_choices()
    ctx["events"] = list(chart.adverse_events.all())
    return render(request, "charting/chart.html", ctx)


def _ae_choices() -> dict[str, Any]:
    return {"kinds": AEKind.choices, "severities": AESeverity.choices,
            "phases": AEPhase.choices, "statuses": AEStatus.choices}


def _locked(request: ClinicRequest, chart: Chart) -> HttpResponse:
    ctx = chart_context(chart)
    ctx.update({
        "amendments": list(chart.amendments.select_related("by")),
        "events": list(chart.adverse_events.all()),
        "can_cosign": chart.status == ChartStatus.PENDING_COSIGN and chart.returned_at is None
        and services.can_cosign(actor_from_request(request), chart),
        "history": selectors.signature_history(chart),
        "needs_note": any(f["severity"] == "review" for f in chart.findings),
        "signed_json": json.dumps(chart.signed_content, indent=1, sort_keys=True,
                                  ensure_ascii=False),
        "ae_form": _ae_choices(),
    })
    return render(request, "charting/locked.html", ctx)


@clinic_view("procedure.supervise")
@require_POST
def attest(request: ClinicRequest, pk: int) -> HttpResponse:
    chart = selectors.chart_get(request.clinic.pk, pk)
    try:
        services.chart_attest_supervision(actor=actor_from_request(request), chart=chart)
    except services.ChartError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Supervision attested."))
    return redirect("charting:chart", pk=chart.pk)


@clinic_view("chart.cosign")
@require_POST
def return_to_author(request: ClinicRequest, pk: int) -> HttpResponse:
    chart = selectors.chart_get(request.clinic.pk, pk)
    try:
        chart_return(actor=actor_from_request(request), chart=chart,
                     note=request.POST.get("note", ""))
    except services.ChartError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Chart returned to %(who)s with your note.")
                         % {"who": chart.practitioner.user})
    return redirect("charting:chart", pk=chart.pk)


@clinic_view("chart.cosign")
@require_POST
def cosign(request: ClinicRequest, pk: int) -> HttpResponse:
    chart = selectors.chart_get(request.clinic.pk, pk)
    try:
        services.chart_cosign(actor=actor_from_request(request), chart=chart,
                              note=request.POST.get("note", ""))
    except services.ChartError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Chart co-signed."))
    return redirect("charting:chart", pk=chart.pk)


@clinic_view("chart.edit")
@require_http_methods(["GET", "POST"])
def amend(request: ClinicRequest, pk: int) -> HttpResponse:
    chart = selectors.chart_get(request.clinic.pk, pk)
    if not chart.locked:
        return redirect("charting:chart", pk=chart.pk)
    error, field = "", ""
    if request.method == "POST":
        data = forms.from_post(request.POST)
        for key in ("practitioner_id", "supervisor_id", "device_id", "lot_number"):
            data.pop(key, None)
        try:
            services.chart_amend(actor=actor_from_request(request), chart=chart,
                                 reason=request.POST.get("reason", ""), data=data)
        except services.ChartError as exc:
            error, field = exc.message, exc.field
        else:
            if chart.returned_at is not None:
                chart_resubmit(actor=actor_from_request(request), chart=chart)
            messages.success(request, _("Amendment recorded; the previous version is kept."))
            return redirect("charting:chart", pk=chart.pk)
    else:
        record(actor_from_request(request), Action.READ, chart, patient_id=chart.patient_id,
               data={"page": "amend"})
    ctx = chart_context(chart, {})
    ctx.update({"error": error, "error_field": field, "reason": request.POST.get("reason", "")})
    ctx.update(selectors.clinic_choices(request.clinic.pk))
    return render(request, "charting/amend.html", ctx)


@clinic_view("chart.edit")
@require_POST
def correct_equipment(request: ClinicRequest, pk: int) -> HttpResponse:
    chart = selectors.chart_get(request.clinic.pk, pk)
    try:
        device_id = int(request.POST.get("device", "") or 0) or None
    except ValueError:
        device_id = -1
    try:
        chart_correct_equipment(actor=actor_from_request(request), chart=chart,
                                reason=request.POST.get("reason", ""), device_id=device_id,
                                lot_number=request.POST.get("lot_number", ""))
    except services.ChartError as exc:
        ctx = chart_context(chart, {})
        ctx.update(selectors.clinic_choices(request.clinic.pk))
        ctx.update({"equipment_error": exc.message, "error": "", "reason": ""})
        return render(request, "charting/amend.html", ctx, status=422)
    messages.success(request, _("Device and lot corrected by amendment; the recall trace "
                                "follows the corrected lot."))
    return redirect("charting:chart", pk=chart.pk)


def _sheet_lang(request: ClinicRequest, chart: Chart) -> str:
    lang = request.GET.get("lang") or (chart.aftercare or {}).get("language") or \
        chart.patient.preferred_language
    return lang if lang in ("en", "fr") else "en"


@clinic_view("chart.view")
def aftercare(request: ClinicRequest, pk: int) -> HttpResponse:
    chart = selectors.chart_get(request.clinic.pk, pk)
    if not chart.aftercare:
        messages.error(request, _("The aftercare sheet is written when the chart is signed."))
        return redirect("charting:chart", pk=chart.pk)
    record(actor_from_request(request), Action.READ, chart, patient_id=chart.patient_id,
           data={"aftercare": "html"})
    return render(request, "charting/aftercare.html", {
        "chart": chart, "sheet": aftercare_context(chart, _sheet_lang(request, chart))})


@clinic_view("chart.view")
def aftercare_download(request: ClinicRequest, pk: int) -> HttpResponse:
    chart = selectors.chart_get(request.clinic.pk, pk)
    if not chart.aftercare:
        messages.error(request, _("The aftercare sheet is written when the chart is signed."))
        return redirect("charting:chart", pk=chart.pk)
    lang = _sheet_lang(request, chart)
    record(actor_from_request(request), Action.EXPORT, chart, patient_id=chart.patient_id,
           data={"aftercare": "pdf", "language": lang})
    response = HttpResponse(aftercare_pdf(aftercare_context(chart, lang)),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="aftercare-{chart.pk}-{lang}.pdf"'
    return response


@clinic_view("adverse.record")
@require_POST
def ae_add(request: ClinicRequest, pk: int) -> HttpResponse:
    chart = selectors.chart_get(request.clinic.pk, pk)
    try:
        services.adverse_event_record(
            actor=actor_from_request(request), patient=chart.patient, chart=chart,
            phase=request.POST.get("phase", AEPhase.DURING),
            kind=request.POST.get("kind", ""), severity=request.POST.get("severity", ""),
            description=request.POST.get("description", ""),
            action_taken=request.POST.get("action_taken", ""))
    except services.ChartError as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, "; ".join(str(m) for m in exc.messages))
    else:
        messages.success(request, _("Adverse event recorded."))
    return redirect("charting:chart", pk=chart.pk)


@clinic_view("adverse.report")
def ae_report(request: ClinicRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in AEStatus.values else ""
    events = list(selectors.adverse_events(request.clinic.pk, status)[:500])
    record_many(actor_from_request(request), [
        Entry(Action.LIST, "charting.adverseevent", str(e.pk), e.patient_id) for e in events])
    return render(request, "charting/adverse_events.html", {
        "events": events, "status": status, "statuses": AEStatus.choices})


@clinic_view("adverse.record")
@require_http_methods(["GET", "POST"])
def ae_detail(request: ClinicRequest, ae_id: int) -> HttpResponse:
    event = selectors.adverse_event_get(request.clinic.pk, ae_id)
    if request.method == "POST":
        try:
            services.adverse_event_follow_up(actor=actor_from_request(request), event=event,
                                             note=request.POST.get("note", ""),
                                             status=request.POST.get("status", ""))
        except services.ChartError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Follow-up recorded."))
        return redirect("charting:ae_detail", ae_id=event.pk)
    record(actor_from_request(request), Action.READ, event, patient_id=event.patient_id)
    return render(request, "charting/adverse_event.html", {
        "event": event, "statuses": AEStatus.choices})



@clinic_view("chart.view")
def patient_course(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """The patient's course (sessions, depths per zone over time, next window, adverse
    events): loaded into the patient page by htmx, or a page of its own without script.
    A constant number of queries whatever the number of sessions."""
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    record(actor_from_request(request), Action.READ, patient, patient_id=patient.pk,
           data={"view": "course"})
    ctx = {"patient": patient,
           "course": course_timeline(patient.pk, request.clinic.pk, list(plans_of(patient)))}
    template = "charting/_course.html" if request.htmx else "charting/course.html"
    return render(request, template, ctx)
