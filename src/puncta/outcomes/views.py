"""Outcome pages: a course's photographs (capture with the baseline as an overlay, upload),
scale assessments, comparison across sessions, progress charts, the patient's PDF, the
clinic report; and the photograph view, the only door to a photograph's bytes."""

from __future__ import annotations

import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from puncta.accounts import ratelimit
from puncta.accounts.access import clinic_view
from puncta.accounts.http import ClinicRequest
from puncta.accounts.roles import has_perm
from puncta.audit.models import Action
from puncta.audit.services import Entry, actor_from_request, record, record_many
from puncta.clinics import clock
from puncta.patients import selectors as patient_selectors
from puncta.plans.models import PlanZone, Severity
from puncta.rules import codes
from puncta.rules import scales as rule_scales

from . import report as clinic_report
from . import selectors, services
from .models import LinkPurpose, Photo, Source, Timepoint
from .pdf import summary_pdf
from .progress import label, progress

MAX_UPLOAD = 30 * 1024 * 1024


def _protocol(course: selectors.CourseOutcomes) -> dict[str, Any]:
    zone = (PlanZone.objects.filter(plan=course.current).values_list("zone", flat=True)
            .first() or "")
    p = rule_scales.photo_protocol(course.current.indication, zone)
    return {"views": [{"code": v.code, "label": label(v), "guide": label(v, "guide_")}
                      for v in p.views],
            "distance": label(p, "distance_"), "lighting": label(p, "lighting_"),
            "extra": label(p, "extra_"), "source": p.source}


def when_choices(course: selectors.CourseOutcomes) -> list[tuple[str, str]]:
    sessions = max(len(course.current.course.get("sessions", [])), len(course.charts))
    out = [("baseline", _("Baseline (before the first session)"))]
    out += [(f"session:{n}", _("Session %(n)s") % {"n": n}) for n in range(1, sessions + 1)]
    out += [(f"follow_up:{m}", _("Follow-up, %(m)s months") % {"m": m})
            for m in rule_scales.outcome_schedule().follow_up_months]
    return out


def default_when(course: selectors.CourseOutcomes) -> str:
    if not any(p.timepoint == Timepoint.BASELINE for p in course.photos):
        return "baseline"
    return f"session:{len(course.charts) or 1}"


def scale_forms(scales: list[rule_scales.Scale], errors: dict[str, str] | None = None,
                values: dict[str, Any] | None = None, prefix: bool = False) -> list[dict[str, Any]]:
    errors, values = errors or {}, values or {}
    out = []
    for sc in scales:
        items = []
        for it in sc.items:
            key = f"{sc.code}-{it.code}" if prefix else it.code
            items.append({"code": it.code, "name": f"{sc.code}-{it.code}", "label": label(it),
                          "min": it.min, "max": it.max,
                          "choices": [(a.value, label(a)) for a in it.anchors]
                          if len(it.anchors) == it.max - it.min + 1 else [],
                          "ends": [(a.value, label(a)) for a in it.anchors],
                          "value": str(values.get(key, "")), "error": errors.get(key, "")})
        out.append({"code": sc.code, "name": label(sc), "rater": sc.rater, "items": items,
                    "uncertain": sc.uncertain, "note": sc.note, "source": sc.source,
                    "range": f"{sc.minimum}–{sc.maximum}"})
    return out


def _answers(post: Any, scale: rule_scales.Scale) -> dict[str, str]:
    return {it.code: post.get(f"{scale.code}-{it.code}", "").strip() for it in scale.items}


def _course_page(request: ClinicRequest, plan_id: int, *, errors: dict[str, str] | None = None,
                 status: int = 200, open_scale: str = "",
                 values: dict[str, Any] | None = None) -> HttpResponse:
    plan = selectors.course_get(request.clinic.pk, plan_id)
    course = selectors.course_outcomes(plan)
    patient = plan.patient
    record(actor_from_request(request), Action.READ, plan, patient_id=patient.pk,
           data={"view": "outcomes"})
    clinician = rule_scales.scales_for(course.current.indication, "clinician")
    errors = errors or {}
    consent_problem = services.photography_problem(patient)
    return render(request, "outcomes/course.html", {
        "patient": patient, "course": course, "plan": plan,
        "indication": course.current.indication_label,
        "protocol": _protocol(course), "whens": when_choices(course),
        "when_default": default_when(course),
        "baselines": [(v, b) for v in rule_scales.photo_views() if (b := course.baseline(v))],
        "photo_rows": _photo_rows(course),
        "scale_forms": scale_forms(clinician, errors if open_scale else {}, values),
        "open_scale": open_scale, "errors": errors,
        "progress": progress(course.by_scale(), course.charts),
        "consent_problem": consent_problem,
        "can_capture": has_perm(request.membership.role, "photo.capture"),
        "can_record": has_perm(request.membership.role, "outcome.record"),
        "follow_ups": course.follow_ups,
    }, status=status)


def _photo_rows(course: selectors.CourseOutcomes) -> list[dict[str, Any]]:
    views = rule_scales.photo_views()
    return [{"view": code, "label": label(views[code]), "photos": course.photos_of(code)}
            for code in course.views]


@clinic_view("outcome.view")
def patient_outcomes(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """The patient's courses; a single course opens directly."""
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    courses = selectors.courses_of(request.clinic.pk, patient.pk)
    if len(courses) == 1:
        return redirect("outcomes:course", plan_id=courses[0].pk)
    record(actor_from_request(request), Action.READ, patient, patient_id=patient.pk,
           data={"view": "outcomes"})
    return render(request, "outcomes/patient.html", {"patient": patient, "courses": courses})


@clinic_view("outcome.view")
def course_view(request: ClinicRequest, plan_id: int) -> HttpResponse:
    return _course_page(request, plan_id)


@clinic_view("photo.capture")
@require_POST
def photo_upload(request: ClinicRequest, plan_id: int) -> HttpResponse:
    plan = selectors.course_get(request.clinic.pk, plan_id)
    upload = request.FILES.get("photo")
    try:
        when = services.parse_when(request.POST.get("when", ""))
        if upload is None:
            raise services.OutcomeError("photo.missing", _("Choose a photograph."), "photo")
        if upload.size and upload.size > MAX_UPLOAD:
            raise services.OutcomeError("photo.too_large",
                                        _("The file is larger than 30 MB."), "photo")
        source = Source.TABLET if request.POST.get("source") == "tablet" else Source.UPLOAD
        services.photo_add(actor=actor_from_request(request), patient=plan.patient, plan=plan,
                           data=upload.read(), view=request.POST.get("view", ""), when=when,
                           zone=request.POST.get("zone", ""), source=source)
    except services.OutcomeError as exc:
        return _course_page(request, plan_id, errors={exc.field or "photo": exc.message},
                            status=422)
    messages.success(request, _("Photograph saved (metadata removed)."))
    return redirect(reverse("outcomes:course", args=[plan.pk]) + "#photos")


@clinic_view("outcome.record")
@require_POST
def assess(request: ClinicRequest, plan_id: int) -> HttpResponse:
    plan = selectors.course_get(request.clinic.pk, plan_id)
    code = request.POST.get("scale", "")
    scale = rule_scales.scales().get(code)
    answers = _answers(request.POST, scale) if scale else {}
    try:
        when = services.parse_when(request.POST.get("when", ""))
        services.assessment_record(actor=actor_from_request(request), patient=plan.patient,
                                   plan=plan, scale=code, answers=answers, when=when,
                                   language=translation.get_language() or "en")
    except services.OutcomeError as exc:
        errs = exc.errors or {exc.field or "scale": exc.message}
        return _course_page(request, plan_id, errors=errs, status=422, open_scale=code,
                            values=answers)
    messages.success(request, _("Assessment recorded."))
    return redirect(reverse("outcomes:course", args=[plan.pk]) + "#assessments")


@clinic_view("photo.view")
def photo_file(request: ClinicRequest, pk: int, size: str) -> HttpResponse:
    """The only way to a photograph's bytes: this clinic, a role that may see photographs,
    and a read audit event written first."""
    photo = selectors.photo_get(request.clinic.pk, pk)
    try:
        data = services.photo_bytes(actor=actor_from_request(request), photo=photo, size=size)
    except services.OutcomeError:
        return HttpResponse(status=404)
    return _jpeg(data)


def _jpeg(data: bytes) -> HttpResponse:
    # A photograph is a few hundred kB to a few MB: sent whole, never cached by anyone.
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@clinic_view("photo.view")
def compare(request: ClinicRequest, plan_id: int) -> HttpResponse:
    """The same view across the course: side by side, and a slider between two."""
    plan = selectors.course_get(request.clinic.pk, plan_id)
    course = selectors.course_outcomes(plan)
    views = course.views
    view = request.GET.get("view") or (views[0] if views else "front")
    photos = course.photos_of(view)
    by_id = {str(p.pk): p for p in photos}
    before = by_id.get(request.GET.get("a", "")) or (photos[0] if photos else None)
    after = by_id.get(request.GET.get("b", "")) or (photos[-1] if photos else None)
    record(actor_from_request(request), Action.READ, plan, patient_id=plan.patient_id,
           data={"view": "compare", "photo_view": view, "photos": len(photos)})
    labels = rule_scales.photo_views()
    return render(request, "outcomes/compare.html", {
        "patient": plan.patient, "plan": plan, "course": course, "photos": photos,
        "view": view, "view_label": label(labels[view]) if view in labels else view,
        "views": [(v, label(labels[v])) for v in views], "before": before, "after": after,
        "progress": progress(course.by_scale(), course.charts),
    })


@clinic_view("outcome.view")
def patient_progress(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Progress charts of the patient's courses: a fragment for the course timeline."""
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    blocks = []
    for plan in selectors.courses_of(request.clinic.pk, patient.pk):
        plan.patient = patient
        course = selectors.course_outcomes(plan)
        if course.assessments or course.photos:
            blocks.append({"plan": plan, "progress": progress(course.by_scale(), course.charts),
                           "photos": len(course.photos)})
    record(actor_from_request(request), Action.READ, patient, patient_id=patient.pk,
           data={"view": "progress"})
    template = "outcomes/_progress.html" if request.htmx else "outcomes/progress.html"
    return render(request, template, {"patient": patient, "blocks": blocks})


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    image.save(buf)
    return buf.getvalue().decode()


@clinic_view("outcome.link")
@require_POST
def link_create(request: ClinicRequest, plan_id: int) -> HttpResponse:
    plan = selectors.course_get(request.clinic.pk, plan_id)
    purpose = request.POST.get("purpose", "")
    if purpose == LinkPurpose.CAPTURE and not has_perm(request.membership.role,
                                                        "photo.capture"):
        return HttpResponse(status=403)
    try:
        when = services.parse_when(request.POST.get("when", ""))
        link, raw = services.link_create(actor=actor_from_request(request),
                                         patient=plan.patient, plan=plan, purpose=purpose,
                                         when=when)
    except services.OutcomeError as exc:
        messages.error(request, exc.message)
        return redirect("outcomes:course", plan_id=plan.pk)
    url = request.build_absolute_uri(reverse("outcomes:public", args=[raw]))
    return render(request, "outcomes/link.html", {
        "patient": plan.patient, "plan": plan, "url": url, "qr_svg": _qr_svg(url),
        "link": link})


@clinic_view("outcome.record")
@require_POST
def schedule_follow_ups(request: ClinicRequest, plan_id: int) -> HttpResponse:
    plan = selectors.course_get(request.clinic.pk, plan_id)
    course = selectors.course_outcomes(plan)
    if not course.charts:
        messages.error(request, _("No signed session yet: follow-ups count from the last "
                                  "session."))
    else:
        services.follow_ups_schedule(actor=actor_from_request(request), plan=plan,
                                     last_session=course.charts[-1].on)
        messages.success(request, _("Follow-ups scheduled."))
    return redirect(reverse("outcomes:course", args=[plan.pk]) + "#follow-ups")


@clinic_view("outcome.view")
def summary(request: ClinicRequest, plan_id: int) -> HttpResponse:
    """The patient's printable summary, in the patient's language."""
    plan = selectors.course_get(request.clinic.pk, plan_id)
    course = selectors.course_outcomes(plan)
    patient = plan.patient
    with translation.override(patient.preferred_language):
        results = []
        for entry in progress(course.by_scale(), course.charts):
            first, latest = entry["first"], entry["latest"]
            if first.pk == latest.pk:
                results.append(_("%(scale)s: %(v)s (%(when)s)") % {
                    "scale": entry["name"], "v": latest.total, "when": latest.timepoint_label})
            else:
                results.append(_("%(scale)s: %(a)s at %(wa)s, %(b)s at %(wb)s") % {
                    "scale": entry["name"], "a": first.total, "wa": first.timepoint_label,
                    "b": latest.total, "wb": latest.timepoint_label})
        photos = []
        front = course.photos_of("front") or (course.photos_of(course.views[0])
                                              if course.views else [])
        chosen = [front[0], front[-1]] if len(front) > 1 else front[:1]
        actor = actor_from_request(request)
        for p in chosen:
            photos.append((f"{p.timepoint_label}, {p.taken_on.isoformat()}",
                           services.photo_bytes(actor=actor, photo=p, size="medium",
                                                via="pdf")))
        doc = {
            "title": _("Your microneedling results"),
            "subtitle": _("%(name)s · %(indication)s · %(clinic)s") % {
                "name": patient.full_name, "indication": course.current.indication_label,
                "clinic": patient.clinic.name},
            "sessions_heading": _("Sessions"),
            "sessions": [_("Session %(n)s on %(d)s") % {"n": i, "d": c.on.isoformat()}
                         + (f", {c.max_depth:g} mm" if c.max_depth else "")
                         for i, c in enumerate(course.charts, start=1)],
            "results_heading": _("Results"), "results": results,
            "photos_heading": _("Before and now"), "photos": photos,
            "none": _("None yet."),
            "footer": _("Printed on %(d)s. Scores are clinical scales; ask your clinician "
                        "what they mean for you.") % {
                "d": clock.today(patient.clinic).isoformat()},
        }
    record(actor_from_request(request), Action.EXPORT, plan, patient_id=patient.pk,
           data={"document": "outcome summary", "language": patient.preferred_language})
    response = HttpResponse(summary_pdf(doc), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="results-{plan.pk}.pdf"'
    return response


@clinic_view("outcome.view")
def home(request: ClinicRequest) -> HttpResponse:
    today = clock.today(request.clinic)
    remind = rule_scales.outcome_schedule().remind_days_before
    due = selectors.follow_ups_due(request.clinic.pk, today.fromordinal(
        today.toordinal() + remind))
    # One audit entry per patient the list names.
    record_many(actor_from_request(request), [
        Entry(action=Action.LIST, object_type="outcomes.followup", object_id=str(f.pk),
              patient_id=f.patient_id, data={"view": "due"}) for f in due])
    return render(request, "outcomes/home.html", {"due": due, "today": today})


@clinic_view("outcome.report")
def report_view(request: ClinicRequest) -> HttpResponse:
    rows = clinic_report.course_rows(request.clinic.pk)
    record(actor_from_request(request), Action.READ, object_type="outcomes.report",
           data={"courses": len(rows)})
    fr = (translation.get_language() or "en").startswith("fr")
    labels = {i["code"]: i["fr"] if fr else i["en"] for i in codes()["indications"]}
    severities = dict(Severity.choices)
    groups = clinic_report.grouped(rows)
    for g in groups:
        g["indication_label"] = labels.get(g["indication"], g["indication"])
        g["severity_label"] = severities.get(g["severity"], g["severity"])
        sc = rule_scales.scales().get(g["scale"])
        g["scale_label"] = label(sc) if sc else "—"
    return render(request, "outcomes/report.html", {"groups": groups, "courses": len(rows)})


@clinic_view("outcome.report")
def report_csv(request: ClinicRequest) -> HttpResponse:
    rows = clinic_report.course_rows(request.clinic.pk)
    record(actor_from_request(request), Action.EXPORT, object_type="outcomes.report",
           data={"format": "csv", "courses": len(rows), "deidentified": True})
    response = HttpResponse(clinic_report.to_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="outcomes-deidentified.csv"'
    return response


# --- The single-use link: a clinic phone or the patient -----------------------------------

def _public_context(link: Any, raw: str, errors: dict[str, str],
                    values: dict[str, Any]) -> dict[str, Any]:
    plan = link.plan
    course = selectors.course_outcomes(plan) if plan is not None else None
    indication = course.current.indication if course else ""
    views = rule_scales.photo_protocol(indication).views if indication else tuple(
        rule_scales.photo_views().values())
    baselines = {v.code: course.baseline(v.code) for v in views} if course else {}
    patient_scales = (rule_scales.scales_for(indication, "patient")
                      if link.purpose == LinkPurpose.FOLLOW_UP and indication else [])
    consent_problem = services.photography_problem(link.patient)
    return {
        "link": link, "token": raw, "patient": link.patient, "errors": errors,
        "views": [{"code": v.code, "label": label(v), "guide": label(v, "guide_"),
                   "baseline": baselines.get(v.code)} for v in views],
        "scale_forms": scale_forms(patient_scales, errors, values, prefix=True),
        "photos_allowed": consent_problem is None,
        "follow_up": link.purpose == LinkPurpose.FOLLOW_UP,
    }


def _resolve_limited(request: ClinicRequest, token: str) -> tuple[Any, HttpResponse | None]:
    """The link, under the same per-address limits as the intake link (requests per
    window, and unknown/used/expired tokens tried: guessing)."""
    who = request.META.get("REMOTE_ADDR") or "unknown"
    every = ratelimit.limit_from("outcome-link", settings.PUNCTA_INTAKE_RATE)
    bad = ratelimit.limit_from("outcome-bad-link", settings.PUNCTA_INTAKE_BAD_LINK_RATE)
    if not ratelimit.hit(every, who):
        return None, ratelimit.refused(request, every)
    if ratelimit.over(bad, who):
        return None, ratelimit.refused(request, bad)
    link = services.link_resolve(token)
    if link is None:
        ratelimit.hit(bad, who)
    return link, None


@require_http_methods(["GET", "POST"])
def public(request: ClinicRequest, token: str) -> HttpResponse:
    link, refused = _resolve_limited(request, token)
    if refused is not None:
        return refused
    if link is None:
        return render(request, "outcomes/unavailable.html", status=410)
    lang = request.GET.get("lang")
    # override, not activate: the language is this response's, not the thread's.
    with translation.override(lang if lang in ("en", "fr") else link.patient.preferred_language):
        return _public(request, link, token)


def _public(request: ClinicRequest, link: Any, token: str) -> HttpResponse:
    actor = services.link_actor(link, request.META.get("REMOTE_ADDR"))
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        photos = {}
        for view in rule_scales.photo_views():
            f = request.FILES.get(f"photo-{view}")
            if f is not None:
                if f.size and f.size > MAX_UPLOAD:
                    errors[f"photo-{view}"] = _("The file is larger than 30 MB.")
                else:
                    photos[view] = f.read()
        answers: dict[str, dict[str, Any]] = {}
        indication = link.plan.indication if link.plan else ""
        if link.purpose == LinkPurpose.FOLLOW_UP and indication:
            for sc in rule_scales.scales_for(indication, "patient"):
                given = _answers(request.POST, sc)
                values.update({f"{sc.code}-{k}": v for k, v in given.items()})
                answers[sc.code] = given if any(given.values()) else {}
        if not errors:
            try:
                done = services.link_submit(link=link, ip=actor.ip, photos=photos,
                                            answers=answers,
                                            language=translation.get_language() or "en")
            except services.OutcomeError as exc:
                errors = exc.errors or {exc.field or "form": exc.message}
                if exc.field == "photo":
                    errors = {"form": exc.message}
            else:
                return render(request, "outcomes/thanks.html", {"patient": link.patient,
                                                                "done": done})
    else:
        record(actor, Action.READ, link, patient_id=link.patient_id, clinic_id=link.clinic_id,
               data={"via": "link"})
    return render(request, "outcomes/public.html",
                  _public_context(link, token, errors, values),
                  status=422 if errors else 200)


def public_baseline(request: ClinicRequest, token: str, pk: int) -> HttpResponse:
    """The baseline photograph shown as the overlay on a phone using a link: only a
    photograph of the link's own course, audited as read through the link."""
    link, refused = _resolve_limited(request, token)
    if refused is not None:
        return refused
    if link is None or link.plan is None:
        return HttpResponse(status=404)
    photo = Photo.objects.filter(pk=pk, plan=link.plan, patient=link.patient,
                                 clinic_id=link.clinic_id,
                                 timepoint=Timepoint.BASELINE).first()
    if photo is None:
        return HttpResponse(status=404)
    return _jpeg(services.photo_bytes(actor=services.link_actor(link, request.META.get(
        "REMOTE_ADDR")), photo=photo, size="medium", via="link overlay"))
