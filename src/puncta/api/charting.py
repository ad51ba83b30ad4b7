"""Charts over the JSON API: read, create a draft, update a draft (with its version),
sign, co-sign, amend. Scoped to the token's clinic (another clinic's chart is a 404) and
audited like the web; the same services decide, so the same rules refuse."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from puncta.accounts.http import ClinicRequest
from puncta.audit.models import Action
from puncta.audit.services import Entry, actor_from_request, record, record_many
from puncta.charting import selectors, services
from puncta.charting.aftercare import aftercare_context
from puncta.charting.models import AdverseEvent, Chart
from puncta.charting.pdf import aftercare_pdf
from puncta.clinics.errors import DomainError
from puncta.patients import selectors as patient_selectors
from puncta.plans.selectors import plan_get
from puncta.scheduling.selectors import appointment_get

from .auth import require
from .pagination import Page, PageIn, page
from .schemas import Day

router = Router(tags=["charting"])



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


def _fresh(request: ClinicRequest, pk: int) -> Chart:
    chart = selectors.chart_get(request.clinic.pk, pk)
    prefetch_related_objects([chart], "amendments__by")
    return chart


@router.get("/charts/{chart_id}", response=ChartOut)
def read_chart(request: ClinicRequest, chart_id: int) -> dict[str, Any]:
    require(request, "chart.view")
    chart = _fresh(request, chart_id)
    record(actor_from_request(request), Action.READ, chart, patient_id=chart.patient_id,
           data={"via": "api"})
    return _out(chart)


@router.get("/patients/{patient_id}/charts", response=Page[ChartOut])
def patient_charts(request: ClinicRequest, patient_id: int, paging: Query[PageIn]
                   ) -> dict[str, Any]:
    require(request, "chart.view")
    patient = patient_selectors.patient_get(request.clinic.pk, patient_id)
    result = page(selectors.charts_of_patient(request.clinic.pk, patient.pk)
                  .prefetch_related("amendments__by").select_related("signed_by",
                                                                     "cosigned_by"), paging)
    record(actor_from_request(request), Action.READ, patient, patient_id=patient.pk,
           data={"via": "api", "charts": len(result["items"])})
    result["items"] = [_out(c) for c in result["items"]]
    return result


@router.post("/charts", response={201: ChartOut})
def create_chart(request: ClinicRequest, payload: ChartCreate) -> Status:
    require(request, "chart.edit")
    actor = actor_from_request(request)
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
        raise DomainError("Give appointment_id, or patient_id for a walk-in.",
                          field="appointment_id", code="required")
    return Status(201, _out(_fresh(request, chart.pk)))


@router.patch("/charts/{chart_id}", response=ChartOut)
def update_chart(request: ClinicRequest, chart_id: int, payload: ChartUpdate) -> dict[str, Any]:
    require(request, "chart.edit")
    chart = _fresh(request, chart_id)
    data = payload.dict(exclude_unset=True)  # merge: what is not sent is not changed
    version = data.pop("version")
    chart, _errors = services.chart_save(actor=actor_from_request(request), chart=chart,
                                         expected_version=version, data=data, partial=True)
    # The saved chart as it stands (what the save wrote, its amendments read with it):
    # an autosave does not read it back.
    return _out(chart)


@router.post("/charts/{chart_id}/sign", response=ChartOut)
def sign_chart(request: ClinicRequest, chart_id: int, payload: SignIn) -> dict[str, Any]:
    require(request, "chart.edit")
    chart = _fresh(request, chart_id)
    services.chart_sign(actor=actor_from_request(request), chart=chart,
                        expected_version=payload.version)
    return _out(_fresh(request, chart_id))


@router.post("/charts/{chart_id}/attest-supervision", response=ChartOut)
def attest_supervision(request: ClinicRequest, chart_id: int) -> dict[str, Any]:
    """The supervising physician, with their own token, attests supervising the session."""
    require(request, "procedure.supervise")
    chart = _fresh(request, chart_id)
    services.chart_attest_supervision(actor=actor_from_request(request), chart=chart)
    return _out(_fresh(request, chart_id))


@router.post("/charts/{chart_id}/cosign", response=ChartOut)
def cosign_chart(request: ClinicRequest, chart_id: int, payload: CosignIn) -> dict[str, Any]:
    require(request, "chart.cosign")
    chart = _fresh(request, chart_id)
    services.chart_cosign(actor=actor_from_request(request), chart=chart,
                          note=payload.note)
    return _out(_fresh(request, chart_id))


@router.post("/charts/{chart_id}/amend", response=ChartOut)
def amend_chart(request: ClinicRequest, chart_id: int, payload: AmendIn) -> dict[str, Any]:
    require(request, "chart.edit")
    chart = _fresh(request, chart_id)
    data = {k: v for k, v in payload.dict().items() if v is not None and k != "reason"}
    services.chart_amend(actor=actor_from_request(request), chart=chart,
                         reason=payload.reason, data=data)
    return _out(_fresh(request, chart_id))


class AdverseEventIn(Schema):
    phase: Literal["during", "after"] = "after"
    kind: str = Field(max_length=16)
    severity: str = Field(max_length=8)
    description: str = Field("", max_length=2000)
    action_taken: str = Field("", max_length=2000)
    occurred_on: Day | None = None


class FollowUpIn(Schema):
    note: str = Field(min_length=1, max_length=2000)
    status: str = Field(max_length=12)


class FollowUpOut(Schema):
    at: str
    by: str
    note: str
    status: str


class AdverseEventOut(Schema):
    id: int
    patient_id: int
    chart_id: int | None
    phase: str
    kind: str
    severity: str
    description: str
    action_taken: str
    occurred_on: dt.date
    status: str
    notes: list[FollowUpOut]
    created_at: dt.datetime


class AftercareItem(Schema):
    text: str
    when: str


class AftercareOut(Schema):
    chart_id: int
    lang: str
    title: str
    subtitle: str
    downtime_heading: str
    downtime: str
    items_heading: str
    items: list[AftercareItem]
    call_heading: str
    call: str
    footer: str


class AftercareQuery(Schema):
    lang: Literal["en", "fr"] | None = None


def _ae_out(ae: AdverseEvent) -> dict[str, Any]:
    return {f: getattr(ae, f) for f in AdverseEventOut.model_fields}


@router.post("/charts/{chart_id}/adverse-events", response={201: AdverseEventOut})
def adverse_event_add(request: ClinicRequest, chart_id: int, payload: AdverseEventIn) -> Status:
    require(request, "adverse.record")
    chart = selectors.chart_get(request.clinic.pk, chart_id)
    ae = services.adverse_event_record(
        actor=actor_from_request(request), patient=chart.patient, chart=chart,
        phase=payload.phase, kind=payload.kind, severity=payload.severity,
        description=payload.description, action_taken=payload.action_taken,
        occurred_on=payload.occurred_on)
    return Status(201, _ae_out(ae))


@router.get("/adverse-events", response=Page[AdverseEventOut])
def adverse_events(request: ClinicRequest, paging: Query[PageIn]) -> dict[str, Any]:
    require(request, "adverse.report")
    result = page(selectors.adverse_events(request.clinic.pk), paging)
    record_many(actor_from_request(request), [
        Entry(Action.LIST, "charting.adverseevent", str(ae.pk), ae.patient_id,
              data={"via": "api"}) for ae in result["items"]])
    result["items"] = [_ae_out(ae) for ae in result["items"]]
    return result


@router.get("/adverse-events/{event_id}", response=AdverseEventOut)
def adverse_event_read(request: ClinicRequest, event_id: int) -> dict[str, Any]:
    require(request, "adverse.record")
    ae = selectors.adverse_event_get(request.clinic.pk, event_id)
    record(actor_from_request(request), Action.READ, ae, patient_id=ae.patient_id,
           data={"via": "api"})
    return _ae_out(ae)


@router.post("/adverse-events/{event_id}/follow-ups", response=AdverseEventOut)
def adverse_event_follow_up(request: ClinicRequest, event_id: int, payload: FollowUpIn
                            ) -> dict[str, Any]:
    require(request, "adverse.record")
    ae = selectors.adverse_event_get(request.clinic.pk, event_id)
    done = services.adverse_event_follow_up(actor=actor_from_request(request), event=ae,
                                            note=payload.note, status=payload.status)
    return _ae_out(done)


def _signed_sheet(request: ClinicRequest, chart_id: int) -> Chart:
    chart = selectors.chart_get(request.clinic.pk, chart_id)
    if not chart.aftercare:
        raise DomainError(_("The aftercare sheet is written when the chart is signed."),
                          code="aftercare.unsigned", status=409)
    return chart


def _lang(chart: Chart, asked: str | None) -> str:
    lang = asked or (chart.aftercare or {}).get("language") or chart.patient.preferred_language
    return lang if lang in ("en", "fr") else "en"


@router.get("/charts/{chart_id}/aftercare", response=AftercareOut)
def aftercare(request: ClinicRequest, chart_id: int, q: Query[AftercareQuery]
              ) -> dict[str, Any]:
    """The patient's aftercare sheet (in their language unless ``lang`` is given)."""
    require(request, "chart.view")
    chart = _signed_sheet(request, chart_id)
    record(actor_from_request(request), Action.READ, chart, patient_id=chart.patient_id,
           data={"aftercare": "json", "via": "api"})
    return {"chart_id": chart.pk, **aftercare_context(chart, _lang(chart, q.lang))}


@router.get("/charts/{chart_id}/aftercare.pdf", response={200: None},
            openapi_extra={"responses": {"200": {
                "description": "the aftercare sheet",
                "content": {"application/pdf": {"schema": {"type": "string",
                                                           "format": "binary"}}}}}})
def aftercare_pdf_download(request: ClinicRequest, chart_id: int, q: Query[AftercareQuery]
                           ) -> HttpResponse:
    require(request, "chart.view")
    chart = _signed_sheet(request, chart_id)
    lang = _lang(chart, q.lang)
    record(actor_from_request(request), Action.EXPORT, chart, patient_id=chart.patient_id,
           data={"aftercare": "pdf", "language": lang, "via": "api"})
    response = HttpResponse(aftercare_pdf(aftercare_context(chart, lang)),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="aftercare-{chart.pk}-{lang}.pdf"'
    return response
