"""Patients over the JSON API: scoped to the token's clinic and audited like the web."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError

from puncta.accounts.roles import has_perm
from puncta.audit.models import Action
from puncta.audit.services import Entry, actor_from_request, record, record_many
from puncta.patients import selectors
from puncta.patients.models import Patient
from puncta.patients.services import StaleEdit, patient_create, patient_update

from .auth import require
from .schemas import Error, PatientIn, PatientOut, PatientPage, PatientPatch

router = Router(tags=["patients"])



def _validation_error(exc: ValidationError) -> HttpError:
    return HttpError(422, "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))


@router.get("/patients", response=PatientPage)
def list_patients(
    request: HttpRequest,
    q: str = Query("", max_length=100),
    limit: int = Query(25, ge=1, le=100),
    offset: int = Query(0, ge=0),
) -> dict[str, object]:
    require(request, "patient.view")
    qs = selectors.patient_search(request.clinic.pk, q)
    items = list(qs[offset : offset + limit])
    record_many(
        actor_from_request(request),
        [
            Entry(Action.LIST, "patients.patient", str(p.pk), p.pk, data={"via": "api"})
            for p in items
        ],
    )
    return {"count": qs.count(), "items": items}


@router.get("/patients/{patient_id}", response={200: PatientOut, 404: Error})
def read_patient(request: HttpRequest, patient_id: int) -> Patient:
    require(request, "patient.view")
    patient = selectors.patient_get(request.clinic.pk, patient_id)
    record(actor_from_request(request), Action.READ, patient, patient_id=patient.pk,
           data={"via": "api"})
    return patient


@router.post("/patients", response={201: PatientOut, 422: Error})
def create_patient(request: HttpRequest, payload: PatientIn) -> Status:
    require(request, "patient.create")
    data = payload.dict()
    if not has_perm(request.membership.role, "patient.edit_clinical"):
        for name in ("phototype", "skin_thin", "skin_sensitive", "skin_notes"):
            data.pop(name)
    try:
        patient = patient_create(
            actor=actor_from_request(request), clinic_id=request.clinic.pk, **data
        )
    except ValidationError as exc:
        raise _validation_error(exc) from None
    return Status(201, patient)


@router.patch("/patients/{patient_id}", response={200: PatientOut, 404: Error, 409: Error,
                                                   422: Error})
def update_patient(request: HttpRequest, patient_id: int, payload: PatientPatch) -> Patient:
    require(request, "patient.edit")
    patient = selectors.patient_get(request.clinic.pk, patient_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    clinical = {"phototype", "skin_thin", "skin_sensitive", "skin_notes"} & data.keys()
    if clinical and not has_perm(request.membership.role, "patient.edit_clinical"):
        raise HttpError(403, "Only clinicians may change the skin assessment.")
    try:
        return patient_update(
            actor=actor_from_request(request), patient=patient, expected_version=version, **data
        )
    except StaleEdit:
        raise HttpError(
            409, f"The patient changed since version {version}; read it again."
        ) from None
    except ValidationError as exc:
        raise _validation_error(exc) from None
