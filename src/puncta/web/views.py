"""Pages of the web interface: dashboard, patients, audit log, preferences."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from puncta.accounts.access import clinic_view
from puncta.accounts.http import ClinicRequest
from puncta.accounts.middleware import CLINIC_KEY
from puncta.accounts.models import Language
from puncta.accounts.preferences import user_language_set
from puncta.accounts.roles import has_perm
from puncta.accounts.selectors import memberships_of
from puncta.audit.models import Action, AuditEvent
from puncta.audit.services import Entry, actor_from_request, record, record_many
from puncta.clinics import clock
from puncta.consent.gate import treatment_gate
from puncta.consent.selectors import consent_statuses
from puncta.patients import selectors as patient_selectors
from puncta.patients.intake.selectors import screening_current
from puncta.patients.merge import MergeRefused, patient_merge
from puncta.patients.models import Patient
from puncta.patients.services import StaleEdit, patient_create, patient_update
from puncta.plans.selectors import plans_of
from puncta.scheduling.selectors import clinic_day, patient_upcoming

from . import selectors as web_selectors
from .forms import AuditFilterForm, PatientForm
from .pager import window_page

PAGE_SIZE = 25


@clinic_view("patient.view")
def dashboard(request: ClinicRequest) -> HttpResponse:
    clinic = request.clinic
    now = clock.now()
    today = clock.today(clinic)
    month_start = clock.start_of_day(clinic, today.replace(day=1))
    stats = patient_selectors.patients_of(clinic.pk).aggregate(
        total=Count("id"), new=Count("id", filter=Q(created_at__gte=month_start)))
    new_this_month = stats["new"]
    today_list = list(clinic_day(clinic.pk, today, clinic.time_zone)[:100])
    record_many(actor_from_request(request), [
        Entry(Action.LIST, "scheduling.appointment", str(a.pk), a.patient_id,
              data={"page": "dashboard"}) for a in today_list])
    return render(
        request,
        "web/dashboard.html",
        {
            "today": today,
            "patient_total": stats["total"],
            "new_this_month": new_this_month,
            "memberships": list(memberships_of(request.user)),
            "today_appointments": today_list,
            "by_location": web_selectors.schedule_by_location(today_list),
            "queues": web_selectors.dashboard_queues(request.membership, now=now),
            "compliance": web_selectors.may_see_compliance(request.membership),
        },
    )


@clinic_view("compliance.view")
def compliance(request: ClinicRequest) -> HttpResponse:
    if not web_selectors.may_see_compliance(request.membership):
        raise PermissionDenied
    checks = web_selectors.compliance_checks(request.clinic, now=clock.now())
    record_many(actor_from_request(request), [
        Entry(Action.LIST, "compliance", check.key, case["patient"].pk,
              data={"page": "compliance"})
        for check in checks for case in check.cases])
    return render(request, "web/compliance.html", {"checks": checks})


@clinic_view("appointment.book")
def rebook(request: ClinicRequest) -> HttpResponse:
    rows = web_selectors.rebook_cases(request.clinic, now=clock.now())
    record_many(actor_from_request(request), [
        Entry(Action.LIST, "scheduling.appointment", str(a.pk), a.patient_id,
              data={"page": "rebook"}) for a in rows])
    return render(request, "web/rebook.html", {"rows": rows})


@clinic_view("patient.view")
def patient_list(request: ClinicRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    qs = patient_selectors.patient_search(request.clinic.pk, query)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    # Listing patients shows their data: each listed patient gets a 'list' event.
    record_many(
        actor_from_request(request),
        [
            Entry(
                action=Action.LIST, object_type="patients.patient", object_id=str(p.pk),
                patient_id=p.pk, data={"query": query} if query else {},
            )
            for p in page.object_list
        ],
    )
    template = "web/patients/_rows.html" if request.htmx else "web/patients/list.html"
    return render(request, template, {"page": page, "query": query})


@clinic_view("patient.view")
def patient_detail(request: ClinicRequest, pk: int) -> HttpResponse:
    try:
        patient = patient_selectors.patient_get(request.clinic.pk, pk)
    except Http404:
        merged = Patient.objects.filter(pk=pk, clinic_id=request.clinic.pk,
                                        merged_into__isnull=False).values_list(
            "merged_into_id", flat=True).first()
        if merged:  # a merged duplicate: its history lives in the record kept
            return redirect("web:patient_detail", pk=merged)
        raise
    record(actor_from_request(request), Action.READ, patient, patient_id=patient.pk)
    screening = screening_current(patient)
    consents = consent_statuses(patient)
    return render(request, "web/patients/detail.html", {
        "patient": patient,
        "screening": screening,
        "consents": consents,
        "gate": treatment_gate(patient, clock.today(request.clinic), screening=screening,
                               statuses=consents),
        "plans": list(plans_of(patient)),
        "upcoming": list(patient_upcoming(patient.pk, timezone.now())[:20]),
    })


def _errors_into(form: PatientForm, exc: ValidationError) -> None:
    """A refusal of the service shown on the form: next to its field when the form has it."""
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _clinical(request: ClinicRequest) -> bool:
    return has_perm(request.membership.role, "patient.edit_clinical")


@clinic_view("patient.create")
@require_http_methods(["GET", "POST"])
def patient_create_view(request: ClinicRequest) -> HttpResponse:
    # The instance knows its clinic, so the model's rules (birth date against the clinic's
    # day, phone, MRN) run in the form and show next to their fields.
    form = PatientForm(request.POST or None, instance=Patient(clinic=request.clinic),
                       clinical=_clinical(request))
    duplicates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        # The same person twice splits their history: show who already exists, and create
        # only when the person at the desk says this is someone else.
        duplicates = list(patient_selectors.possible_duplicates(
            request.clinic.pk, given_name=data["given_name"], family_name=data["family_name"],
            date_of_birth=data["date_of_birth"], phone=data.get("phone", ""),
            email=data.get("email", "")))
        if duplicates and request.POST.get("not_a_duplicate") != "1":
            record_many(actor_from_request(request), [
                Entry(Action.LIST, "patients.patient", str(p.pk), p.pk,
                      data={"page": "duplicate check"}) for p in duplicates])
            return render(request, "web/patients/form.html", {
                "form": form, "creating": True, "duplicates": duplicates}, status=409)
        try:
            patient = patient_create(
                actor=actor_from_request(request), clinic_id=request.clinic.pk, **data
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, _("Patient %(name)s created.")
                             % {"name": patient.full_name})
            return redirect("web:patient_detail", pk=patient.pk)
    return render(request, "web/patients/form.html", {"form": form, "creating": True})


@clinic_view("patient.edit")
@require_http_methods(["GET", "POST"])
def patient_edit_view(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_selectors.patient_get(request.clinic.pk, pk)
    form = PatientForm(request.POST or None, instance=patient, clinical=_clinical(request))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            patient = patient_update(
                actor=actor_from_request(request),
                patient=patient,
                expected_version=form.cleaned_data.get("version"),
                **data,
            )
        except ValidationError as exc:
            _errors_into(form, exc)
        except StaleEdit:
            form.add_error(
                None,
                _(
                    "Someone else saved this patient while you were editing. Your changes "
                    "are still in the form: reload the page to see theirs, then edit again."
                ),
            )
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:patient_detail", pk=patient.pk)
    else:
        record(actor_from_request(request), Action.READ, patient, patient_id=patient.pk)
    return render(
        request, "web/patients/form.html", {"form": form, "patient": patient, "creating": False}
    )


@clinic_view("audit.view")
def audit_log(request: ClinicRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.filter(clinic_id=request.clinic.pk).select_related("actor")
    if form.is_valid():
        if form.cleaned_data["patient"]:
            # the record and the duplicates merged into it
            ids = [form.cleaned_data["patient"], *Patient.objects.filter(
                merged_into_id=form.cleaned_data["patient"]).values_list("pk", flat=True)]
            events = events.filter(patient_id__in=ids)
        if form.cleaned_data["user"]:
            events = events.filter(actor_id=form.cleaned_data["user"])
        if form.cleaned_data["action"]:
            events = events.filter(action=form.cleaned_data["action"])
        events = _audit_filters(request, events, form.cleaned_data)
    page = window_page(events.order_by("-id"), request.GET.get("page"), 50)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request, "web/audit.html", {"form": form, "page": page, "params": params.urlencode()}
    )


@require_POST
def switch_clinic(request: ClinicRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    wanted = request.POST.get("clinic", "")
    for m in memberships_of(request.user):
        if str(m.clinic_id) == wanted:
            request.session[CLINIC_KEY] = m.clinic_id
            break
    return redirect("web:dashboard")


@require_POST
def set_language(request: ClinicRequest) -> HttpResponse:
    code = request.POST.get("language", "")
    if code not in Language.values:
        code = Language.EN
    if request.user.is_authenticated:
        user_language_set(actor=request.user, language=code)
    translation.activate(code)
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("web:dashboard")
    response = redirect(target)
    response.set_cookie("django_language", code, samesite="Lax", httponly=True)
    return response


def _audit_filters(request: ClinicRequest, events: Any, data: dict[str, Any]) -> Any:
    """Patient by name or MRN, user by name or username, and a date range (clinic days)."""
    clinic = request.clinic
    if data.get("who"):
        found = patient_selectors.patient_search(clinic.pk, data["who"]).values("id")
        by_mrn = patient_selectors.patients_of(clinic.pk).filter(
            mrn__iexact=data["who"].strip()).values("id")
        events = events.filter(Q(patient_id__in=found) | Q(patient_id__in=by_mrn))
    if data.get("actor"):
        text = data["actor"]
        events = events.filter(Q(actor__username__icontains=text)
                               | Q(actor__first_name__icontains=text)
                               | Q(actor__last_name__icontains=text)
                               | Q(actor_label__icontains=text))
    if data.get("date_from"):
        events = events.filter(at__gte=clock.start_of_day(clinic, data["date_from"]))
    if data.get("date_to"):
        events = events.filter(at__lt=clock.start_of_day(
            clinic, data["date_to"] + dt.timedelta(days=1)))
    return events


@clinic_view("patient.merge")
@require_POST
def patient_merge_view(request: ClinicRequest, pk: int) -> HttpResponse:
    keep = patient_selectors.patient_get(request.clinic.pk, pk)
    mrn = request.POST.get("mrn", "").strip().upper()
    duplicate = patient_selectors.patients_of(request.clinic.pk).filter(mrn=mrn).first()
    if duplicate is None:
        messages.error(request, _("No other patient of this clinic has the record number "
                                  "%(mrn)s.") % {"mrn": mrn or "—"})
        return redirect("web:patient_detail", pk=keep.pk)
    if request.POST.get("confirm") != "1":
        messages.error(request, _("Confirm the merge."))
        return redirect("web:patient_detail", pk=keep.pk)
    try:
        patient_merge(actor=actor_from_request(request), keep=keep, duplicate=duplicate,
                      reason=request.POST.get("reason", ""))
    except MergeRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Record %(dup)s merged into %(keep)s: its history is "
                                    "here now, and the audit trail keeps both numbers.")
                         % {"dup": duplicate.mrn, "keep": keep.mrn})
    return redirect("web:patient_detail", pk=keep.pk)
