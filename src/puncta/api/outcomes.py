"""Outcomes over the JSON API: photographs (upload, list, fetch), assessments and the
clinic report. Same services, same permissions, same audit as the web: a photograph of
another clinic is a 404, and its bytes are only sent after the read is audited."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from puncta.accounts.http import ClinicRequest
from puncta.audit.models import Action
from puncta.audit.services import actor_from_request, record
from puncta.outcomes import report as clinic_report
from puncta.outcomes import selectors, services
from puncta.outcomes.models import Assessment, Photo, Source

from .auth import require
from .errors import ErrorOut, body
from .pagination import Page, PageIn, page

router = Router(tags=["outcomes"])

MAX_UPLOAD = 30 * 1024 * 1024


class PhotoOut(Schema):
    id: int
    patient_id: int
    course_id: int | None
    chart_id: int | None
    timepoint: str
    when: str
    view: str
    zone: str
    taken_on: str
    width: int
    height: int
    size_bytes: int
    sha256: str
    source: str
    files: dict[str, str]


class AssessmentIn(Schema):
    scale: str = Field(..., max_length=32)
    when: str = Field(..., max_length=20, description="baseline, session:N or follow_up:M")
    answers: dict[str, int | str]


class AssessmentOut(Schema):
    id: int
    patient_id: int
    course_id: int | None
    scale: str
    rater: str
    timepoint: str
    when: str
    on: str
    answers: dict[str, int]
    total: int
    band: str
    scales_version: str
    by_patient: bool


class ReportRow(Schema):
    indication: str
    severity: str
    depth_band: str
    sessions: int
    courses: int
    scale: str
    measured: int
    mean_change: float | None
    responders: int
    judged: int
    responder_pct: int | None
    adverse_events: int
    ae_per_100: float | None


def _when(obj: Photo | Assessment) -> str:
    return services.When(obj.timepoint, obj.session_number, obj.months).value


def _photo(p: Photo) -> dict[str, Any]:
    base = f"/api/v1/photos/{p.pk}/file"
    return {"id": p.pk, "patient_id": p.patient_id, "course_id": p.plan_id,
            "chart_id": p.chart_id, "timepoint": p.timepoint, "when": _when(p),
            "view": p.view, "zone": p.zone, "taken_on": p.taken_on.isoformat(),
            "width": p.width, "height": p.height, "size_bytes": p.size_bytes,
            "sha256": p.sha256, "source": p.source,
            "files": {size: f"{base}?size={size}" for size in services.SIZES}}


def _assessment(a: Assessment) -> dict[str, Any]:
    return {"id": a.pk, "patient_id": a.patient_id, "course_id": a.plan_id, "scale": a.scale,
            "rater": a.rater, "timepoint": a.timepoint, "when": _when(a),
            "on": a.on.isoformat(), "answers": a.answers, "total": a.total, "band": a.band,
            "scales_version": a.scales_version, "by_patient": a.by_patient}


def _problem(exc: services.OutcomeError, status: int = 422) -> Status:
    # The API's one error shape (ErrorOut): code, message, the field at fault.
    return Status(status, body(exc.code, exc.message, exc.field or None,
                               **({"errors": exc.errors} if exc.errors else {})))


@router.post("/courses/{course_id}/photos",
             response={201: PhotoOut, 404: ErrorOut, 422: ErrorOut})
def upload_photo(request: ClinicRequest, course_id: int, file: File[UploadedFile],
                 view: Form[str], when: Form[str], zone: Form[str] = "") -> Status:
    require(request, "photo.capture")
    plan = selectors.course_get(request.clinic.pk, course_id)
    try:
        if file.size and file.size > MAX_UPLOAD:
            raise services.OutcomeError("photo.too_large", "The file is larger than 30 MB.",
                                        "file")
        photo = services.photo_add(actor=actor_from_request(request), patient=plan.patient,
                                   plan=plan, data=file.read(), view=view,
                                   when=services.parse_when(when), zone=zone,
                                   source=Source.API)
    except services.OutcomeError as exc:
        return _problem(exc)
    return Status(201, _photo(photo))


@router.get("/courses/{course_id}/photos", response=Page[PhotoOut])
def list_photos(request: ClinicRequest, course_id: int, paging: Query[PageIn]
                ) -> dict[str, Any]:
    return _course_page(request, course_id, paging, "photo.view", Photo, "photos", _photo)


@router.get("/photos/{photo_id}", response=PhotoOut)
def read_photo(request: ClinicRequest, photo_id: int) -> dict[str, Any]:
    require(request, "photo.view")
    photo = selectors.photo_get(request.clinic.pk, photo_id)
    record(actor_from_request(request), Action.READ, photo, patient_id=photo.patient_id,
           data={"via": "api", "metadata": True})
    return _photo(photo)


@router.get("/photos/{photo_id}/file", response={200: None, 404: ErrorOut},
            openapi_extra={"responses": {200: {"description": "The JPEG",
                                               "content": {"image/jpeg": {}}}}})
def photo_file(request: ClinicRequest, photo_id: int,
               size: Literal["full", "medium", "thumb"] = "full") -> Any:
    require(request, "photo.view")
    photo = selectors.photo_get(request.clinic.pk, photo_id)
    data = services.photo_bytes(actor=actor_from_request(request), photo=photo, size=size,
                                via="api")
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@router.post("/courses/{course_id}/assessments",
             response={201: AssessmentOut, 404: ErrorOut, 422: ErrorOut})
def create_assessment(request: ClinicRequest, course_id: int, payload: AssessmentIn) -> Status:
    require(request, "outcome.record")
    plan = selectors.course_get(request.clinic.pk, course_id)
    try:
        assessment = services.assessment_record(
            actor=actor_from_request(request), patient=plan.patient, plan=plan,
            scale=payload.scale, answers=dict(payload.answers),
            when=services.parse_when(payload.when))
    except services.OutcomeError as exc:
        return _problem(exc)
    return Status(201, _assessment(assessment))


@router.get("/courses/{course_id}/assessments", response=Page[AssessmentOut])
def list_assessments(request: ClinicRequest, course_id: int, paging: Query[PageIn]
                     ) -> dict[str, Any]:
    return _course_page(request, course_id, paging, "outcome.view", Assessment,
                        "assessments", _assessment)


def _course_page(request: ClinicRequest, course_id: int, paging: PageIn, perm: str,
                 model: Any, label: str, out: Any) -> dict[str, Any]:
    """One page of a course's photographs or assessments, in course order; the listing is
    audited with how many were shown."""
    require(request, perm)
    plan = selectors.course_get(request.clinic.pk, course_id)
    rows = sorted(model.objects.filter(plan=plan, clinic_id=request.clinic.pk),
                  key=selectors.sort_key)
    result = page(rows, paging)
    record(actor_from_request(request), Action.LIST, plan, patient_id=plan.patient_id,
           data={"via": "api", label: len(result["items"])})
    result["items"] = [out(row) for row in result["items"]]
    return result


@router.get("/outcomes/report", response=Page[ReportRow])
def outcomes_report(request: ClinicRequest, paging: Query[PageIn]) -> dict[str, Any]:
    require(request, "outcome.report")
    rows = clinic_report.course_rows(request.clinic.pk)
    record(actor_from_request(request), Action.READ, object_type="outcomes.report",
           data={"via": "api", "courses": len(rows)})
    return page(clinic_report.grouped(rows), paging)
