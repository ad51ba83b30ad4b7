"""Consent over the JSON API: the current document by procedure and language, signing
with drawn strokes, recording a paper scan, withdrawal and the signed PDF. The same
services as the consent pages; refusals come back as ``{code, message, field}``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.http import Http404, HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from puncta.accounts.http import ClinicRequest
from puncta.audit.models import Action
from puncta.audit.services import actor_from_request, record
from puncta.consent import selectors, services
from puncta.consent.models import Consent, ConsentTemplate
from puncta.consent.pdf import consent_pdf
from puncta.patients import selectors as patient_selectors

from .auth import require
from .pagination import Page, PageIn, page

router = Router(tags=["intake, screening and consent"])

ProcedureCode = Literal["microneedling", "numbing", "photography"]
LanguageCode = Literal["en", "fr"]


class TemplateOut(Schema):
    id: int
    procedure: str
    language: str
    version: int
    title: str
    body: str
    published_at: dt.datetime


class TemplateQuery(Schema):
    procedure: ProcedureCode | None = None
    language: LanguageCode | None = None


class SignIn(Schema):
    template_id: int = Field(description="the version shown to the signer (must be current)")
    signer_name: str = Field(min_length=1, max_length=200)
    relationship: str = Field("", max_length=100)
    understood: bool
    strokes: list[list[list[float]]] = Field(
        max_length=200, description="strokes of [x, y] points on a 600 × 200 pad")


class WithdrawIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class ConsentOut(Schema):
    procedure: str
    state: str
    consent_id: int | None
    version: int | None
    signed_at: dt.datetime | None
    document_sha256: str | None


class ConsentRecordOut(Schema):
    id: int
    patient_id: int
    template_id: int
    procedure: str
    version: int
    method: str
    signer_name: str
    signer_relationship: str
    signed_at: dt.datetime
    document_sha256: str
    withdrawn_at: dt.datetime | None
    withdrawn_reason: str


def _consent_out(c: Consent) -> dict[str, Any]:
    return {"id": c.pk, "patient_id": c.patient_id, "template_id": c.template_id,
            "procedure": c.template.procedure, "version": c.template.version,
            "method": c.method, "signer_name": c.signer_name,
            "signer_relationship": c.signer_relationship, "signed_at": c.signed_at,
            "document_sha256": c.document_sha256, "withdrawn_at": c.withdrawn_at,
            "withdrawn_reason": c.withdrawn_reason}


def _template(request: ClinicRequest, template_id: int) -> ConsentTemplate:
    found = ConsentTemplate.objects.filter(pk=template_id, clinic=request.clinic).first()
    if found is None:
        raise Http404("No such consent document")
    return found


@router.get("/consent-templates", response=Page[TemplateOut])
def templates(request: ClinicRequest, which: Query[TemplateQuery], paging: Query[PageIn]
              ) -> dict[str, Any]:
    """The current version of each consent document (filter by procedure, language)."""
    require(request, "consent.record")
    services.templates_ensure(request.clinic)
    latest = selectors.latest_versions(request.clinic.pk)
    rows = [t for t in ConsentTemplate.objects.filter(clinic=request.clinic)
            if latest.get((t.procedure, t.language)) == t.version
            and which.procedure in (None, t.procedure) and which.language in (None, t.language)]
    return page(rows, paging)


@router.get("/patients/{patient_id}/consents", response=Page[ConsentOut])
def consents(request: ClinicRequest, patient_id: int, paging: Query[PageIn]
             ) -> dict[str, Any]:
    require(request, "consent.record")
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    record(actor_from_request(request), Action.LIST, patient, patient_id=patient.pk,
           data={"via": "api", "what": "consents"})
    return page([{"procedure": s.procedure, "state": s.state,
                  "consent_id": s.consent.pk if s.consent else None,
                  "version": s.consent.template.version if s.consent else None,
                  "signed_at": s.consent.signed_at if s.consent else None,
                  "document_sha256": s.consent.document_sha256 if s.consent else None}
                 for s in selectors.consent_statuses(patient)], paging)


@router.post("/patients/{patient_id}/consents", response={201: ConsentRecordOut})
def sign(request: ClinicRequest, patient_id: int, payload: SignIn) -> Status:
    """Sign on screen: the strokes are checked and drawn as SVG by the server."""
    require(request, "consent.record")
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    consent = services.consent_sign(
        actor=actor_from_request(request), patient=patient,
        template=_template(request, payload.template_id),
        strokes_json=json.dumps(payload.strokes), signer_name=payload.signer_name,
        relationship=payload.relationship, understood=payload.understood)
    return Status(201, _consent_out(consent))


@router.post("/patients/{patient_id}/consents/paper", response={201: ConsentRecordOut})
def record_paper(request: ClinicRequest, patient_id: int, template_id: Form[int],
                 signer_name: Form[str], scan: File[UploadedFile],
                 relationship: Form[str] = "") -> Status:
    """Record a consent signed on paper, with its scan (PDF, PNG or JPEG, under 10 MB)."""
    require(request, "consent.record")
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    consent = services.consent_record_paper(
        actor=actor_from_request(request), patient=patient,
        template=_template(request, template_id), scan=scan,
        signer_name=signer_name[:200], relationship=relationship[:100])
    return Status(201, _consent_out(consent))


@router.get("/consents/{consent_id}", response=ConsentRecordOut)
def read_consent(request: ClinicRequest, consent_id: int) -> dict[str, Any]:
    require(request, "consent.record")
    consent = selectors.consent_get(request.clinic.pk, consent_id)
    record(actor_from_request(request), Action.READ, consent, patient_id=consent.patient_id,
           data={"via": "api"})
    return _consent_out(consent)


@router.post("/consents/{consent_id}/withdraw", response=ConsentRecordOut)
def withdraw(request: ClinicRequest, consent_id: int, payload: WithdrawIn) -> dict[str, Any]:
    require(request, "consent.record")
    consent = selectors.consent_get(request.clinic.pk, consent_id)
    done = services.consent_withdraw(actor=actor_from_request(request), consent=consent,
                                     reason=payload.reason)
    done.template = consent.template
    return _consent_out(done)


@router.get("/consents/{consent_id}/pdf", response={200: None},
            openapi_extra={"responses": {"200": {
                "description": "the signed document",
                "content": {"application/pdf": {"schema": {"type": "string",
                                                           "format": "binary"}}}}}})
def pdf(request: ClinicRequest, consent_id: int) -> HttpResponse:
    require(request, "consent.record")
    consent = selectors.consent_get(request.clinic.pk, consent_id)
    record(actor_from_request(request), Action.EXPORT, consent, patient_id=consent.patient_id,
           data={"format": "pdf", "via": "api"})
    response = HttpResponse(consent_pdf(consent), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="consent-{consent.pk}-{consent.template.procedure}.pdf"')
    return response
