"""Intake, screening and consent over the JSON API: clinic-scoped and audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from puncta.audit.models import Action
from puncta.audit.services import actor_from_request, record
from puncta.clinics import clock
from puncta.consent import selectors as consent_selectors
from puncta.consent.gate import treatment_gate
from puncta.patients import selectors as patient_selectors
from puncta.patients.intake import selectors, services
from puncta.patients.intake.definition import as_json

from .auth import require

router = Router(tags=["intake, screening and consent"])



class IntakeOut(Schema):
    id: int
    patient_id: int
    questionnaire_version: str
    status: str
    version: int
    answers: dict[str, Any]
    submitted_at: dt.datetime | None


class IntakeSave(Schema):
    version: int
    answers: dict[str, Any]
    submit: bool = False


class ScreeningOut(Schema):
    id: int
    patient_id: int
    result: str
    findings: list[dict[str, Any]]
    rules_version: str
    screened_on: dt.date
    valid_until: dt.date
    superseded: bool
    decision: str
    decision_note: str
    decision_conditions: str
    decided_at: dt.datetime | None
    restrictions: dict[str, Any]


class ReviewIn(Schema):
    decision: str
    note: str
    conditions: str = ""
    # Structured conditions the rules apply at plan, booking and charting.
    earliest_start: dt.date | None = None
    max_depth_mm: Decimal | None = Field(None, gt=0, le=3, decimal_places=2)
    avoid_zones: list[str] = Field(default_factory=list, max_length=40)


class ConsentOut(Schema):
    procedure: str
    state: str
    consent_id: int | None
    version: int | None
    signed_at: dt.datetime | None
    document_sha256: str | None


class GateOut(Schema):
    ready: bool
    problems: list[dict[str, str]]


def _intake_out(i: Any) -> dict[str, Any]:
    return {"id": i.pk, "patient_id": i.patient_id, "questionnaire_version":
            i.questionnaire.version, "status": i.status, "version": i.version,
            "answers": i.answers, "submitted_at": i.submitted_at}


def _screening_out(s: Any) -> dict[str, Any]:
    return {"id": s.pk, "patient_id": s.patient_id, "result": s.result, "findings": s.findings,
            "rules_version": s.rules_version, "screened_on": s.screened_on,
            "valid_until": s.valid_until, "superseded": s.superseded_at is not None,
            "decision": s.decision, "decision_note": s.decision_note,
            "decision_conditions": s.decision_conditions, "decided_at": s.decided_at,
            "restrictions": s.restrictions_data}


@router.get("/questionnaires/current")
def questionnaire(request: HttpRequest) -> dict[str, Any]:
    return as_json()


@router.get("/patients/{patient_id}/intake", response=IntakeOut)
def intake_read(request: HttpRequest, patient_id: int) -> dict[str, Any]:
    require(request, "intake.answers")
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    intake = services.intake_open(actor=actor_from_request(request), patient=patient)
    record(actor_from_request(request), Action.READ, intake, patient_id=patient.pk,
           data={"via": "api"})
    return _intake_out(intake)


@router.put("/patients/{patient_id}/intake", response={200: IntakeOut, 409: dict,
                                                       422: dict})
def intake_write(request: HttpRequest, patient_id: int, payload: IntakeSave) -> Any:
    """Save answers given in form-field shape (e.g. ``cond.eczema.present``); with
    ``submit`` the intake is submitted and screened."""
    require(request, "intake.answers")
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    actor = actor_from_request(request)
    intake = services.intake_open(actor=actor, patient=patient)
    try:
        intake, errors = services.intake_save(actor=actor, response=intake,
                                              data=payload.answers,
                                              expected_version=payload.version, partial=True)
    except services.StaleIntake:
        return Status(409, {"detail": "The intake changed since that version; read it again."})
    if errors:
        return Status(422, {"detail": "Some answers are invalid.", "errors": errors})
    if payload.submit:
        try:
            services.intake_submit(actor=actor, response=intake, by_patient=False)
        except services.IncompleteIntake as exc:
            return Status(422, {"detail": "Some answers are invalid.", "errors": exc.errors})
        intake.refresh_from_db()
    return Status(200, _intake_out(intake))


@router.get("/patients/{patient_id}/screenings", response=list[ScreeningOut])
def screenings(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    require(request, "screening.view")
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    items = list(patient.screenings.all()[:50])
    record(actor_from_request(request), Action.LIST, patient, patient_id=patient.pk,
           data={"via": "api", "screenings": len(items)})
    return [_screening_out(s) for s in items]


@router.post("/screenings/{screening_id}/review", response={200: ScreeningOut, 422: dict})
def review(request: HttpRequest, screening_id: int, payload: ReviewIn) -> Any:
    require(request, "screening.review")
    screening = selectors.screening_get(request.clinic.pk, screening_id)
    try:
        s = services.screening_review(actor=actor_from_request(request), screening=screening,
                                      decision=payload.decision, note=payload.note,
                                      conditions=payload.conditions,
                                      earliest_start=payload.earliest_start,
                                      max_depth_mm=payload.max_depth_mm,
                                      avoid_zones=payload.avoid_zones)
    except services.ReviewError as exc:
        return Status(422, {"detail": str(exc)})
    return Status(200, _screening_out(s))


@router.get("/patients/{patient_id}/consents", response=list[ConsentOut])
def consents(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    require(request, "consent.record")
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    record(actor_from_request(request), Action.LIST, patient, patient_id=patient.pk,
           data={"via": "api", "what": "consents"})
    return [{"procedure": s.procedure, "state": s.state,
             "consent_id": s.consent.pk if s.consent else None,
             "version": s.consent.template.version if s.consent else None,
             "signed_at": s.consent.signed_at if s.consent else None,
             "document_sha256": s.consent.document_sha256 if s.consent else None}
            for s in consent_selectors.consent_statuses(patient)]


@router.get("/patients/{patient_id}/readiness", response=GateOut)
def readiness(request: HttpRequest, patient_id: int, on: dt.date | None = None
              ) -> dict[str, Any]:
    """May this patient be booked or treated on a date? Every missing piece, with a link."""
    require(request, "patient.view")
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)

    problems = treatment_gate(patient, on or clock.today(request.clinic))
    record(actor_from_request(request), Action.READ, patient, patient_id=patient.pk,
           data={"via": "api", "what": "readiness"})
    return {"ready": not problems,
            "problems": [{"code": p.code, "message": p.message, "url": p.url}
                         for p in problems]}
