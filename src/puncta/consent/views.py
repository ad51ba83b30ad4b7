"""Consent pages: status per procedure, signing on screen or recording paper, PDF,
withdrawal, and publishing new versions of the documents."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from puncta import rules
from puncta.accounts.access import clinic_view
from puncta.accounts.http import ClinicRequest
from puncta.audit.models import Action
from puncta.audit.services import actor_from_request, record
from puncta.patients import selectors as patient_selectors

from . import selectors, services
from .models import ConsentTemplate, Procedure
from .pdf import consent_pdf


@clinic_view("consent.record")
def patient_consents(request: ClinicRequest, pk: int) -> HttpResponse:
    patient = patient_selectors.patient_get(request.clinic.pk, pk)
    services.templates_ensure(request.clinic)
    record(actor_from_request(request), Action.READ, patient, patient_id=patient.pk,
           data={"page": "consent"})
    return render(request, "consent/patient.html", {
        "patient": patient, "statuses": selectors.consent_statuses(patient),
        "history": patient.consents.select_related("template", "witness"),
    })


@clinic_view("consent.record")
@require_http_methods(["GET", "POST"])
def sign(request: ClinicRequest, pk: int, procedure: str) -> HttpResponse:
    patient = patient_selectors.patient_get(request.clinic.pk, pk)
    if procedure not in Procedure.values:
        raise Http404("No such procedure")
    services.templates_ensure(request.clinic)
    language = request.GET.get("lang") or request.POST.get("lang") or patient.preferred_language
    if language not in ("en", "fr"):
        language = "en"
    template = selectors.template_current(request.clinic.pk, procedure, language)
    if template is None:
        raise Http404("No consent document")
    errors: dict[str, str] = {}
    if request.method == "POST":
        posted = ConsentTemplate.objects.filter(
            pk=request.POST.get("template", "0") if request.POST.get("template", "").isdigit()
            else 0, clinic=request.clinic).first() or template
        actor = actor_from_request(request)
        try:
            if request.POST.get("method") == "paper":
                services.consent_record_paper(
                    actor=actor, patient=patient, template=posted,
                    scan=request.FILES.get("scan"),
                    signer_name=request.POST.get("signer_name", ""),
                    relationship=request.POST.get("relationship", ""))
            else:
                # The patient reads the refusal in the document's language.
                with translation.override(language):
                    services.consent_sign(
                        actor=actor, patient=patient, template=posted,
                        strokes_json=request.POST.get("strokes", "")[:200_000],
                        signer_name=request.POST.get("signer_name", ""),
                        relationship=request.POST.get("relationship", ""),
                        understood=request.POST.get("understood") == "on")
        except services.ConsentError as exc:
            errors[exc.field] = exc.message
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("consent:patient", pk=patient.pk)
    else:
        record(actor_from_request(request), Action.READ, template, patient_id=patient.pk,
               data={"page": "consent-sign"})
    lang = (translation.get_language() or "en")[:2]
    return render(request, "consent/sign.html", {
        "guardian_required": services.guardian_required(patient),
        "guardian_roles": [(r.code, r.fr if lang == "fr" else r.en) for r in
                           rules.consent_age(request.clinic.jurisdiction).guardian_roles],
        "patient": patient, "template": template, "language": language,
        "text": services.render_document(template, patient), "errors": errors,
        "form": request.POST if request.method == "POST" else {},
    })


@clinic_view("consent.record")
def consent_pdf_view(request: ClinicRequest, consent_id: int) -> HttpResponse:
    consent = selectors.consent_get(request.clinic.pk, consent_id)
    record(actor_from_request(request), Action.EXPORT, consent, patient_id=consent.patient_id,
           data={"format": "pdf"})
    response = HttpResponse(consent_pdf(consent), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="consent-{consent.pk}-{consent.template.procedure}.pdf"')
    return response


@clinic_view("consent.record")
def consent_scan_view(request: ClinicRequest, consent_id: int) -> HttpResponse:
    consent = selectors.consent_get(request.clinic.pk, consent_id)
    if not consent.paper_scan:
        raise Http404("No scan")
    record(actor_from_request(request), Action.EXPORT, consent, patient_id=consent.patient_id,
           data={"format": "scan"})
    name = (consent.paper_scan.name or "").lower()
    kind = ("application/pdf" if name.endswith(".pdf") else
            "image/png" if name.endswith(".png") else "image/jpeg")
    response = HttpResponse(consent.paper_scan.open("rb").read(), content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="consent-{consent.pk}-scan"'
    return response


@clinic_view("consent.record")
@require_POST
def withdraw(request: ClinicRequest, consent_id: int) -> HttpResponse:
    consent = selectors.consent_get(request.clinic.pk, consent_id)
    try:
        services.consent_withdraw(actor=actor_from_request(request), consent=consent,
                                  reason=request.POST.get("reason", ""))
    except services.ConsentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Consent withdrawn."))
    return redirect("consent:patient", pk=consent.patient_id)


@clinic_view("consent.manage")
@require_http_methods(["GET", "POST"])
def templates_view(request: ClinicRequest) -> HttpResponse:
    services.templates_ensure(request.clinic)
    error = ""
    if request.method == "POST":
        procedure = request.POST.get("procedure", "")
        language = request.POST.get("language", "")
        if procedure not in Procedure.values or language not in ("en", "fr"):
            error = _("Choose a procedure and a language.")
        else:
            try:
                t = services.template_publish(
                    actor=actor_from_request(request), clinic=request.clinic,
                    procedure=procedure, language=language,
                    title=request.POST.get("title", "")[:200],
                    body=request.POST.get("body", "")[:20000])
            except services.ConsentError as exc:
                error = exc.message
            else:
                messages.success(request, _("Version %(v)s published: patients must consent "
                                            "again before their next session.")
                                 % {"v": t.version})
                return redirect("consent:templates")
    latest = selectors.latest_versions(request.clinic.pk)
    current = [t for t in ConsentTemplate.objects.filter(clinic=request.clinic)
               if latest.get((t.procedure, t.language)) == t.version]
    return render(request, "consent/templates.html", {
        "templates": current, "error": error, "procedures": Procedure.choices})
