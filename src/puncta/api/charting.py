"""Charts over the JSON API: read, create a draft, update a draft (with its version),
sign, co-sign, amend. Scoped to the token's clinic (another clinic's chart is a 404) and
audited like the web; the same services decide, so the same rules refuse."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from puncta.audit.models import Action
from puncta.audit.services import actor_from_request, record
from puncta.charting import selectors, services
from puncta.charting.models import Chart
from puncta.patients import selectors as patient_selectors
from puncta.plans.selectors import plan_get
from puncta.scheduling.selectors import appointment_get

from .auth import require

router = Router(tags=["charting"])



class ChartProblem(Schema):
    detail: str
    field: str = ""
    code: str = ""
    errors: dict[str, str] = {}


class ChartOut(Schema):
    id: int
    patient_id: int
    appointment_id: int | None
    plan_id: int | None
    on: str
    indication: str
    severity: str
    status: str
    version: int
    practitioner_id: int
    supervisor_id: int | None
    device_id: int | None
    lot_id: int | None
    lot_draw_id: int | None
    content: dict[str, Any]
    verdict: str
    findings: list[dict[str, Any]]
    rules_version: str
    input_errors: dict[str, str]
    cosign_required: bool
    signed_by: str | None
    signed_at: str | None
    sha256: str
    cosigned_by: str | None
    cosigned_at: str | None
    cosign_note: str
    aftercare: dict[str, Any] | None
    amendments: list[dict[str, Any]]


class ChartCreate(Schema):
    appointment_id: int | None = None
    patient_id: int | None = None
    plan_id: int | None = None
    indication: str = ""
    severity: str = ""


class ChartContentIn(Schema):
    """The chart's fields; depths are millimetres as text or numbers ('1,5' is refused)."""

    practitioner_id: int | None = None
    supervisor_id: int | None = None
    device_id: int | None = None
    lot_number: str = Field("", max_length=64)
    today: dict[str, Any] = {}
    photos_taken: bool = False
    cleansing: str = ""
    numbing: dict[str, Any] = {}
    zones: list[dict[str, Any]] = []
    topicals: str = ""
    duration_min: int | str | None = None
    notes: str = ""


class ChartUpdate(ChartContentIn):
    version: int


class SignIn(Schema):
    version: int | None = None


class CosignIn(Schema):
    note: str = Field("", max_length=2000)


class AmendIn(Schema):
    reason: str = Field(..., max_length=2000)
    today: dict[str, Any] | None = None
    photos_taken: bool | None = None
    cleansing: str | None = None
    numbing: dict[str, Any] | None = None
    zones: list[dict[str, Any]] | None = None
    topicals: str | None = None
    duration_min: int | str | None = None
    notes: str | None = None


def _out(chart: Chart) -> dict[str, Any]:
    return {
        "id": chart.pk, "patient_id": chart.patient_id, "appointment_id": chart.appointment_id,
        "plan_id": chart.plan_id, "on": chart.on.isoformat(), "indication": chart.indication,
        "severity": chart.severity, "status": chart.status, "version": chart.version,
        "practitioner_id": chart.practitioner_id, "supervisor_id": chart.supervisor_id,
        "device_id": chart.device_id, "lot_id": chart.lot_id, "lot_draw_id": chart.lot_draw_id,
        "content": chart.content, "verdict": chart.verdict, "findings": chart.findings,
        "rules_version": chart.rules_version, "input_errors": chart.input_errors or {},
        "cosign_required": chart.cosign_required,
        "signed_by": str(chart.signed_by) if chart.signed_by_id else None,
        "signed_at": chart.signed_at.isoformat() if chart.signed_at else None,
        "sha256": chart.sha256,
        "cosigned_by": str(chart.cosigned_by) if chart.cosigned_by_id else None,
        "cosigned_at": chart.cosigned_at.isoformat() if chart.cosigned_at else None,
        "cosign_note": chart.cosign_note, "aftercare": chart.aftercare,
        "amendments": [{"number": a.number, "reason": a.reason, "before": a.before,
                        "after": a.after, "changed": a.changed, "verdict": a.verdict,
                        "sha256": a.sha256, "by": str(a.by), "at": a.at.isoformat()}
                       for a in chart.amendments.all()],  # prefetched with their authors
    }


def _problem(exc: services.ChartError, status: int = 409) -> Status:
    return Status(status, {"detail": exc.message, "field": exc.field, "code": exc.code})


def _fresh(request: HttpRequest, pk: int) -> Chart:
    chart = selectors.chart_get(request.clinic.pk, pk)
    prefetch_related_objects([chart], "amendments__by")
    return chart


@router.get("/charts/{chart_id}", response=ChartOut)
def read_chart(request: HttpRequest, chart_id: int) -> dict[str, Any]:
    require(request, "chart.view")
    chart = _fresh(request, chart_id)
    record(actor_from_request(request), Action.READ, chart, patient_id=chart.patient_id,
           data={"via": "api"})
    return _out(chart)


@router.get("/patients/{patient_id}/charts", response=list[ChartOut])
def patient_charts(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    require(request, "chart.view")
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    charts = list(selectors.charts_of_patient(request.clinic.pk, patient.pk)
                  .prefetch_related("amendments__by").select_related("signed_by",
                                                                     "cosigned_by"))
    record(actor_from_request(request), Action.READ, patient, patient_id=patient.pk,
           data={"via": "api", "charts": len(charts)})
    return [_out(c) for c in charts]


@router.post("/charts", response={201: ChartOut, 404: ChartProblem, 409: ChartProblem,
                                  422: ChartProblem})
def create_chart(request: HttpRequest, payload: ChartCreate) -> Status:
    require(request, "chart.edit")
    actor = actor_from_request(request)
    try:
        if payload.appointment_id is not None:
            appt = appointment_get(request.clinic.pk, payload.appointment_id)
            chart = services.chart_start(actor=actor, appointment=appt)
        elif payload.patient_id is not None:
            patient = patient_selectors.patient_get(request.clinic.pk, payload.patient_id)
            plan = plan_get(request.clinic.pk, payload.plan_id) if payload.plan_id else None
            chart = services.chart_start_walk_in(
                actor=actor, patient=patient, practitioner=request.membership, plan=plan,
                indication=payload.indication, severity=payload.severity)
        else:
            return Status(422, {"detail": "Give appointment_id, or patient_id for a walk-in.",
                                "field": "appointment_id", "code": "required"})
    except services.ChartError as exc:
        return _problem(exc, 422)
    return Status(201, _out(_fresh(request, chart.pk)))


@router.patch("/charts/{chart_id}", response={200: ChartOut, 404: ChartProblem,
                                              409: ChartProblem})
def update_chart(request: HttpRequest, chart_id: int, payload: ChartUpdate) -> Status:
    require(request, "chart.edit")
    chart = _fresh(request, chart_id)
    data = payload.dict(exclude_unset=True)  # merge: what is not sent is not changed
    version = data.pop("version")
    try:
        services.chart_save(actor=actor_from_request(request), chart=chart,
                            expected_version=version, data=data, partial=True)
    except services.ChartError as exc:
        return _problem(exc)
    return Status(200, _out(_fresh(request, chart_id)))


@router.post("/charts/{chart_id}/sign", response={200: ChartOut, 404: ChartProblem,
                                                  409: ChartProblem})
def sign_chart(request: HttpRequest, chart_id: int, payload: SignIn) -> Status:
    require(request, "chart.edit")
    chart = _fresh(request, chart_id)
    try:
        services.chart_sign(actor=actor_from_request(request), chart=chart,
                            expected_version=payload.version)
    except services.ChartError as exc:
        return _problem(exc)
    return Status(200, _out(_fresh(request, chart_id)))


@router.post("/charts/{chart_id}/attest-supervision",
             response={200: ChartOut, 404: ChartProblem, 409: ChartProblem})
def attest_supervision(request: HttpRequest, chart_id: int) -> Status:
    """The supervising physician, with their own token, attests supervising the session."""
    require(request, "procedure.supervise")
    chart = _fresh(request, chart_id)
    try:
        services.chart_attest_supervision(actor=actor_from_request(request), chart=chart)
    except services.ChartError as exc:
        return _problem(exc)
    return Status(200, _out(_fresh(request, chart_id)))


@router.post("/charts/{chart_id}/cosign", response={200: ChartOut, 404: ChartProblem,
                                                    409: ChartProblem})
def cosign_chart(request: HttpRequest, chart_id: int, payload: CosignIn) -> Status:
    require(request, "chart.cosign")
    chart = _fresh(request, chart_id)
    try:
        services.chart_cosign(actor=actor_from_request(request), chart=chart,
                              note=payload.note)
    except services.ChartError as exc:
        return _problem(exc)
    return Status(200, _out(_fresh(request, chart_id)))


@router.post("/charts/{chart_id}/amend", response={200: ChartOut, 404: ChartProblem,
                                                   409: ChartProblem, 422: ChartProblem})
def amend_chart(request: HttpRequest, chart_id: int, payload: AmendIn) -> Status:
    require(request, "chart.edit")
    chart = _fresh(request, chart_id)
    data = {k: v for k, v in payload.dict().items() if v is not None and k != "reason"}
    try:
        services.chart_amend(actor=actor_from_request(request), chart=chart,
                             reason=payload.reason, data=data)
    except services.ChartError as exc:
        return _problem(exc, 422 if exc.code in ("reason", "input", "unchanged") else 409)
    return Status(200, _out(_fresh(request, chart_id)))
