"""Intake pages: staff send a link or fill at the desk; patients fill on their phone."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal, InvalidOperation
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.views.decorators.http import require_http_methods, require_POST

from puncta.accounts import ratelimit
from puncta.accounts.access import clinic_view
from puncta.accounts.http import ClinicRequest
from puncta.accounts.roles import has_perm
from puncta.audit.models import Action
from puncta.audit.services import (
    Actor,
    Entry,
    actor_from_request,
    client_ip,
    record,
    record_many,
)

from .. import selectors as patient_selectors
from ..models import IntakeStatus
from ..services import patient_update
from . import selectors, services
from .answers import unanswered
from .definition import zones
from .presentation import answer_summary, form_sections


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    image.save(buf)
    return buf.getvalue().decode()


@clinic_view("intake.send")
@require_POST
def intake_link_view(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_selectors.patient_get(request.clinic.pk, pk)
    link, raw = services.intake_link_create(actor=actor_from_request(request), patient=patient)
    url = request.build_absolute_uri(reverse("patients:intake_public", args=[raw]))
    emailed = False
    if request.POST.get("email") and patient.email:
        with translation.override(patient.preferred_language):
            send_mail(
                _("Your questionnaire before your microneedling visit"),
                _("Hello %(name)s,\n\nPlease fill in your health questionnaire before your "
                  "visit:\n%(url)s\n\nThe link works once and expires on %(date)s.\n")
                % {"name": patient.given_name, "url": url,
                   "date": link.expires_at.date().isoformat()},
                settings.DEFAULT_FROM_EMAIL, [patient.email],
            )
        emailed = True
    return render(request, "patients/intake_link.html", {
        "patient": patient, "url": url, "qr_svg": _qr_svg(url), "link": link,
        "emailed": emailed,
    })


@clinic_view("intake.answers")
@require_http_methods(["GET", "POST"])
def intake_desk_view(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_selectors.patient_get(request.clinic.pk, pk)
    actor = actor_from_request(request)
    response = services.intake_open(actor=actor, patient=patient)
    if request.method == "GET":
        record(actor, Action.READ, response, patient_id=patient.pk, data={"via": "desk"})
    return _intake_form(request, response, actor, by_patient=False,
                        save_url=reverse("patients:intake_desk", args=[patient.pk]))


def intake_public_view(request: HttpRequest, token: str) -> HttpResponse:
    membership = getattr(request, "membership", None)
    if membership is not None and not has_perm(membership.role, "intake.answers"):
        # Staff who may not read health answers cannot read them through a patient's link.
        raise PermissionDenied
    who = client_ip(request) or "unknown"
    every = ratelimit.limit_from("intake-link", settings.PUNCTA_INTAKE_RATE)
    bad = ratelimit.limit_from("intake-bad-link", settings.PUNCTA_INTAKE_BAD_LINK_RATE)
    if not ratelimit.hit(every, who):
        return ratelimit.refused(request, every)
    if ratelimit.over(bad, who):
        return ratelimit.refused(request, bad)
    link = services.intake_link_resolve(token)
    if link is None:
        ratelimit.hit(bad, who)
        # Nothing about the patient is shown for an unknown, used or expired link.
        return render(request, "patients/intake_unavailable.html", status=410)
    response = link.response
    patient = response.patient
    lang = request.GET.get("lang")
    actor = Actor(label="patient (intake link)", clinic_id=patient.clinic_id,
                  ip=client_ip(request))
    if request.method == "GET":
        record(actor, Action.READ, response, patient_id=patient.pk, data={"via": "link"})
    # The patient's language for this request only (override: it never leaks).
    with translation.override(lang if lang in ("en", "fr") else patient.preferred_language):
        return _intake_form(request, response, actor, by_patient=True, link=link,
                            save_url=reverse("patients:intake_public", args=[token]))


def _intake_form(request, response, actor, *, by_patient, save_url, link=None):  # type: ignore[no-untyped-def]
    lang = translation.get_language() or "en"
    errors: dict[str, str] = {}
    conflict = False
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", "0"))
        except ValueError:
            version = 0
        try:
            response, errors = services.intake_save(
                actor=actor, response=response, data=request.POST, expected_version=version)
        except services.StaleIntake:
            conflict = True
        if request.htmx and "submit" not in request.POST:
            # Autosave: answer with the save status and the new version only.
            return render(request, "patients/_intake_saved.html", {
                "response": response, "errors": errors, "conflict": conflict})
        if not conflict and not errors and "submit" in request.POST:
            # Every safety question needs an explicit answer before the intake is screened.
            errors = unanswered(response.answers)
        if not conflict and not errors and "submit" in request.POST:
            try:
                screening = services.intake_submit(actor=actor, response=response,
                                                   by_patient=by_patient, link=link)
            except services.IncompleteIntake as exc:
                errors = exc.errors
            else:
                if by_patient:
                    return render(request, "patients/intake_thanks.html",
                                  {"patient": response.patient})
                messages.success(request, _("Intake submitted; screening result: %(r)s.")
                                 % {"r": screening.get_result_display()})
                return redirect("patients:screening", pk=response.patient_id)
        if not conflict and not errors and "submit" not in request.POST:
            messages.success(request, _("Answers saved. You can come back and finish later."))
    response.refresh_from_db()
    template = "patients/intake_public.html" if by_patient else "patients/intake_desk.html"
    return render(request, template, {
        "response": response, "patient": response.patient, "save_url": save_url,
        "sections": form_sections(response.answers, errors, lang),
        "errors": errors, "conflict": conflict,
        "submitted": response.status == IntakeStatus.SUBMITTED,
    })


@clinic_view("screening.view")
@require_http_methods(["GET", "POST"])
def screening_view(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_selectors.patient_get(request.clinic.pk, pk)
    if request.method == "POST":
        return _confirm_phototype(request, patient)
    screening = selectors.screening_current(patient)
    intake = selectors.intake_latest(patient)
    record(actor_from_request(request), Action.READ, screening or patient, patient_id=patient.pk)
    lang = translation.get_language() or "en"
    return render(request, "patients/screening.html", {
        "patient": patient, "screening": screening, "intake": intake,
        "summary": answer_summary(screening.intake.answers, lang) if screening else [],
        "reported_phototype": _reported_phototype(screening, patient),
    })


def _reported_phototype(screening: Any, patient: Any) -> int | None:
    """The phototype the patient reported, when the record does not say the same yet."""
    if screening is None:
        return None
    reported = screening.intake.answers.get("phototype")
    return reported if reported in range(1, 7) and reported != patient.phototype else None


def _confirm_phototype(request: ClinicRequest, patient: Any) -> HttpResponse:
    """The clinician confirms the reported phototype into the record (or not): the intake
    answer never overwrites the record by itself."""
    if not has_perm(request.membership.role, "patient.edit_clinical"):
        raise PermissionDenied
    try:
        value = int(request.POST.get("phototype", ""))
    except ValueError:
        value = 0
    if value not in range(1, 7):
        messages.error(request, _("Choose a phototype from I to VI."))
    else:
        patient_update(actor=actor_from_request(request), patient=patient, phototype=value)
        messages.success(request, _("Phototype confirmed in the patient's record."))
    return redirect("patients:screening", pk=patient.pk)


@clinic_view("screening.review")
def review_queue_view(request: ClinicRequest) -> HttpResponse:
    queue = list(selectors.review_queue(request.clinic.pk)[:200])
    record_many(actor_from_request(request), [
        Entry(Action.LIST, "patients.screening", str(s.pk), s.patient_id) for s in queue])
    return render(request, "patients/review_queue.html", {"queue": queue})


@clinic_view("screening.review")
@require_http_methods(["GET", "POST"])
def review_view(request: ClinicRequest, screening_id: int) -> HttpResponse:
    screening = selectors.screening_get(request.clinic.pk, screening_id)
    actor = actor_from_request(request)
    error = ""
    if request.method == "POST":
        try:
            earliest, max_depth = _restriction_inputs(request.POST)
            services.screening_review(
                actor=actor, screening=screening, decision=request.POST.get("decision", ""),
                note=request.POST.get("note", "")[:4000],
                conditions=request.POST.get("conditions", "")[:2000],
                earliest_start=earliest, max_depth_mm=max_depth,
                avoid_zones=request.POST.getlist("avoid_zones")[:40])
        except services.ReviewError as exc:
            error = _(str(exc))
        else:
            messages.success(request, _("Decision recorded and signed."))
            return redirect("patients:review_queue")
    else:
        record(actor, Action.READ, screening, patient_id=screening.patient_id)
    lang = translation.get_language() or "en"
    return render(request, "patients/review.html", {
        "screening": screening, "patient": screening.patient, "error": error,
        "summary": answer_summary(screening.intake.answers, lang),
        "form": request.POST if request.method == "POST" else {},
        "zones": zones(),
        "avoid": request.POST.getlist("avoid_zones") if request.method == "POST" else [],
    })


def _restriction_inputs(post: Any) -> tuple[dt.date | None, Decimal | None]:
    """The typed structured conditions of a review form (empty fields: none)."""
    earliest = max_depth = None
    raw_date = str(post.get("earliest_start", "")).strip()
    if raw_date:
        try:
            earliest = dt.date.fromisoformat(raw_date)
        except ValueError:
            raise services.ReviewError(N_("Enter the date as year-month-day.")) from None
    raw_depth = str(post.get("max_depth_mm", "")).strip().replace(",", ".")
    if raw_depth:
        try:
            max_depth = Decimal(raw_depth)
        except InvalidOperation:
            raise services.ReviewError(N_("Enter the maximum depth in millimetres, e.g. "
                                          "1.0.")) from None
        if not max_depth.is_finite() or not Decimal("0.1") <= max_depth <= Decimal("3"):
            raise services.ReviewError(N_("Enter the maximum depth in millimetres, e.g. "
                                          "1.0."))
    return earliest, max_depth
