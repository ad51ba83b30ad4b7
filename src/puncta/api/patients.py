"""Patients over the JSON API: scoped to the token's clinic and audited like the web."""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Status
from ninja.errors import HttpError

from puncta.accounts.http import ClinicRequest
from puncta.accounts.roles import has_perm
from puncta.audit.models import Action
from puncta.audit.services import Entry, actor_from_request, record, record_many
from puncta.patients import selectors
from puncta.patients.models import Patient
from puncta.patients.services import patient_create, patient_update

from .auth import require
from .pagination import Page, PageIn, page
from .schemas import PatientIn, PatientOut, PatientPatch

router = Router(tags=["patients"])


@router.get("/patients", response=Page[PatientOut])
def list_patients(
    request: ClinicRequest, paging: Query[PageIn], q: str = Query("", max_length=100),
) -> dict[str, Any]:
    require(request, "patient.view")
    result = page(selectors.patient_search(request.clinic.pk, q), paging)
    items = result["items"]
    record_many(
        actor_from_request(request),
        [
            Entry(Action.LIST, "patients.patient", str(p.pk), p.pk, data={"via": "api"})
            for p in items
        ],
    )
    return result


@router.get("/patients/{patient_id}", response=PatientOut)
def read_patient(request: ClinicRequest, patient_id: int) -> Patient:
    require(request, "patient.view")
    patient = selectors.patient_get(request.clinic.pk, patient_id)
    record(actor_from_request(request), Action.READ, patient, patient_id=patient.pk,
           data={"via": "api"})
    return patient


@router.post("/patients", response={201: PatientOut})
def create_patient(request: ClinicRequest, payload: PatientIn) -> Status:
    require(request, "patient.create")
    data = payload.dict()
    if not has_perm(request.membership.role, "patient.edit_clinical"):
        for name in ("phototype", "skin_thin", "skin_sensitive", "skin_notes"):
            data.pop(name)
    patient = patient_create(actor=actor_from_request(request), clinic_id=request.clinic.pk,
                             **data)
    return Status(201, patient)


@router.patch("/patients/{patient_id}", response=PatientOut)
def update_patient(request: ClinicRequest, patient_id: int, payload: PatientPatch) -> Patient:
    require(request, "patient.edit")
    patient = selectors.patient_get(request.clinic.pk, patient_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    clinical = {"phototype", "skin_thin", "skin_sensitive", "skin_notes"} & data.keys()
    if clinical and not has_perm(request.membership.role, "patient.edit_clinical"):
        raise HttpError(403, "Only clinicians may change the skin assessment.")
    return patient_update(
        actor=actor_from_request(request), patient=patient, expected_version=version, **data
    )
