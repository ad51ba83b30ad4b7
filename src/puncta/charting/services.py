"""Writes to charts: start, save a draft (rules on every save), sign, co-sign, amend, and
adverse events. One transaction each, with the audit event inside it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from puncta import facts as records
from puncta import rules
from puncta.accounts.models import Membership
from puncta.accounts.roles import CLINICAL_ROLES, has_perm
from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.clinics import clock
from puncta.clinics.errors import DomainError
from puncta.devices.models import CartridgeLot, Device
from puncta.devices.selectors import lots_by_number
from puncta.devices.services import DrawRefused, lot_draw
from puncta.patients.models import Patient
from puncta.plans.models import TreatmentPlan
from puncta.scheduling import services as scheduling
from puncta.scheduling.availability import Calendar
from puncta.scheduling.models import Appointment, Kind, PatientMessage, Status
from puncta.scheduling.reminders import send_patient_message
from puncta.scheduling.series import local_date

from . import forms
from .checks import Evaluation, Facts, evaluate
from .models import AdverseEvent, AEPhase, AEStatus, Amendment, Chart, ChartStatus

OVERDUE_AFTER = dt.timedelta(hours=72)


class ChartError(DomainError):
    """A refusal with the page block it concerns (``field``) and a message for people.

    Input problems answer 422; a refusal because of the chart's state answers 409."""

    INPUT_CODES = frozenset({"reason", "input", "unchanged", "indication", "plan",
                             "practitioner", "appointment", "chart", "phase", "note"})

    def __init__(self, field: str, message: str, *, code: str = "") -> None:
        code = code or field
        super().__init__(message, field=field, code=code,
                         status=422 if code in self.INPUT_CODES else 409)


class StaleChart(ChartError):
    def __init__(self) -> None:
        super().__init__("version", _(
            "Someone else saved this chart while you were editing. Reload it to see their "
            "changes; what you typed since was not saved."), code="stale")


# --- facts ------------------------------------------------------------------------------


def previous_sessions(chart: Chart) -> tuple[rules.PreviousSession, ...]:
    """Every other signed session of the patient up to this one's day, whatever the course
    or indication, with the zones it treated: the rules count them all, by zone."""
    rows = (Chart.objects.filter(patient_id=chart.patient_id, on__lte=chart.on)
            .exclude(status=ChartStatus.DRAFT).exclude(pk=chart.pk)
            .order_by("on").values_list("on", "content"))
    return records.previous(
        (on, [z["zone"] for z in (content or {}).get("zones", []) if z.get("zone")])
        for on, content in rows)


def supervisor_presence(chart: Chart, supervisor: Membership | None
                        ) -> tuple[bool | None, bool | None]:
    """(on shift, on site) of the supervising physician at the session's time, from the
    working hours and time off: known for a booked session (its treatment window) and for
    a walk-in charted on its day (now); unknown otherwise."""
    if supervisor is None:
        return None, None
    appt = chart.appointment if chart.appointment_id else None
    if appt is not None:
        location, start, end = appt.location, appt.treat_start, appt.end
    else:
        location = chart.clinic.locations.first()
        if location is None or clock.today(location) != chart.on:
            return None, None
        start = clock.now()
        end = start + dt.timedelta(minutes=1)
    cal = Calendar(chart.clinic)  # working hours and time off only: no day to load
    cal.load_staff()  # both in one query
    off = cal.off(supervisor.pk, start, end)
    on_shift = cal.works(supervisor.pk, location, start, end, on_site=False) and not off
    on_site = cal.works(supervisor.pk, location, start, end, on_site=True) and not off
    return on_shift, on_site


def resolve(chart: Chart, refs: dict[str, Any], errors: dict[str, str]) -> Facts:
    """References checked against the chart's clinic; an unknown one is an error."""
    clinic_id = chart.clinic_id
    # The practitioner and the supervisor in one query (an autosave resolves both each time).
    wanted = {refs.get("practitioner_id"), refs.get("supervisor_id")} - {None}
    members = {m.pk: m for m in Membership.objects.select_related("user").filter(
        pk__in=wanted, clinic_id=clinic_id, is_active=True)} if wanted else {}
    practitioner = members.get(refs.get("practitioner_id"))  # type: ignore[arg-type]
    if refs.get("practitioner_id") is not None and practitioner is None:
        errors["practitioner"] = _("Choose a practitioner of this clinic.")
    supervisor = members.get(refs.get("supervisor_id"))  # type: ignore[arg-type]
    if refs.get("supervisor_id") is not None and supervisor is None:
        errors["supervisor"] = _("Choose a physician of this clinic.")
    elif supervisor is not None and not has_perm(supervisor.role, "procedure.supervise"):
        errors["supervisor"] = _("The supervisor must be a physician.")
        supervisor = None
    elif (supervisor is not None and practitioner is not None and supervisor.pk ==
          practitioner.pk and not has_perm(practitioner.role, "procedure.supervise")):
        errors["supervisor"] = _("A practitioner cannot supervise their own session.")
        supervisor = None
    device = None
    if refs.get("device_id") is not None:
        device = Device.objects.select_related("licence").filter(
            pk=refs["device_id"], clinic_id=clinic_id).first()
        if device is None:
            errors["device"] = _("Choose a device of this clinic.")
    lot = None
    number = refs.get("lot_number", "")
    if number:
        candidates = list(lots_by_number(number, clinic_id))
        if device is not None:
            candidates.sort(key=lambda lot_: not lot_.product.fits(device))
        lot = candidates[0] if candidates else None
    facts = Facts(patient=chart.patient, on=chart.on, indication=chart.indication,
                  severity=chart.severity, practitioner=practitioner, supervisor=supervisor,
                  device=device, lot=lot, lot_number=number)
    facts.previous = previous_sessions(chart)
    facts.supervisor_on_shift, facts.supervisor_on_site = supervisor_presence(chart, supervisor)
    facts.supervisor_attested = (supervisor is not None
                                 and chart.supervision_attested_by_id == supervisor.pk)
    return facts


def _refs_of(chart: Chart) -> dict[str, Any]:
    return {"practitioner_id": chart.practitioner_id, "supervisor_id": chart.supervisor_id,
            "device_id": chart.device_id,
            "lot_number": chart.content.get("lot_number", "") or (
                chart.lot.lot_number if chart.lot_id else "")}


def _apply(chart: Chart, facts: Facts, content: dict[str, Any], ev: Evaluation,
           errors: dict[str, str]) -> None:
    content["lot_number"] = facts.lot_number
    chart.content = content
    chart.practitioner = facts.practitioner or chart.practitioner
    chart.supervisor = facts.supervisor
    chart.device = facts.device
    chart.lot = facts.lot
    chart.verdict, chart.findings, chart.rules_version = ev.verdict, ev.findings, \
        ev.rules_version
    chart.cosign_required = ev.cosign_required
    chart.supervision_required = ev.supervision_required
    chart.input_errors = errors


# --- start ------------------------------------------------------------------------------


def _content_from_plan(plan: TreatmentPlan | None) -> dict[str, Any]:
    content = forms.empty_content()
    if plan is not None:
        content["zones"] = [{"zone": z.zone, "depth_mm": str(z.depth_mm), "passes": z.passes,
                             "pattern": "", "speed": "", "endpoint": "", "endpoint_other": ""}
                            for z in plan.zones.all()]
        content["numbing"]["used"] = True
    content["lot_number"] = ""
    return content


def chart_start(*, actor: Actor, appointment: Appointment) -> Chart:
    """The draft chart of a booked treatment (the existing one if already started)."""
    existing = Chart.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing
    if appointment.kind != Kind.TREATMENT or appointment.status not in (Status.BOOKED,
                                                                         Status.COMPLETED):
        raise ChartError("appointment", _("Only a booked treatment can be charted."))
    plan = appointment.plan
    try:
        with transaction.atomic():
            chart = Chart(clinic_id=appointment.clinic_id, patient=appointment.patient,
                          appointment=appointment, plan=plan,
                          indication=plan.indication if plan else "",
                          severity=plan.severity if plan else "", on=local_date(appointment),
                          practitioner=appointment.practitioner,
                          supervisor=appointment.supervisor, device=appointment.device,
                          content=_content_from_plan(plan), created_by=actor.user)
            _evaluate_and_save(chart, _refs_of(chart), {}, created=True)
            record(actor, Action.CREATE, chart, patient_id=chart.patient_id,
                   data={"appointment": appointment.pk, "verdict": chart.verdict})
    except IntegrityError:
        # Started twice at once (double click, two tabs): the first one won; return it.
        existing = Chart.objects.filter(appointment=appointment).first()
        if existing is None:
            raise
        return existing
    return chart


def chart_start_walk_in(*, actor: Actor, patient: Patient, practitioner: Membership,
                        indication: str, severity: str = "",
                        plan: TreatmentPlan | None = None, on: dt.date | None = None) -> Chart:
    """A session without an appointment: the same gates and rules apply on every save."""
    if plan is not None:
        if plan.patient_id != patient.pk:
            raise ChartError("plan", _("That plan belongs to another patient."))
        indication, severity = plan.indication, plan.severity
    if indication not in {i["code"] for i in rules.codes()["indications"]}:
        raise ChartError("indication", _("Choose an indication."))
    if practitioner.clinic_id != patient.clinic_id:
        raise ChartError("practitioner", _("Choose a practitioner of this clinic."))
    with transaction.atomic():
        chart = Chart(clinic_id=patient.clinic_id, patient=patient, plan=plan,
                      indication=indication, severity=severity,
                      on=on or clock.today(patient.clinic), practitioner=practitioner,
                      content=_content_from_plan(plan), created_by=actor.user)
        _evaluate_and_save(chart, _refs_of(chart), {}, created=True)
        record(actor, Action.CREATE, chart, patient_id=patient.pk,
               data={"walk_in": True, "verdict": chart.verdict})
    return chart


def _evaluate_and_save(chart: Chart, refs: dict[str, Any], errors: dict[str, str],
                       *, created: bool = False, content: dict[str, Any] | None = None
                       ) -> Evaluation:
    facts = resolve(chart, refs, errors)
    content = dict(content if content is not None else chart.content)
    ev = evaluate(facts, content)
    _apply(chart, facts, content, ev, errors)
    if created:
        chart.save()
    return ev


# --- save -------------------------------------------------------------------------------


def chart_save(*, actor: Actor, chart: Chart, expected_version: int,
               data: dict[str, Any], partial: bool = False) -> tuple[Chart, dict[str, str]]:
    """Save a draft (autosave or explicit): the rules run on the values as entered; a field
    in error keeps its last valid value. Returns the chart and the input errors.

    ``partial`` (an API PATCH): only the fields sent change; the others, the supervisor
    included, keep their saved values (merge semantics)."""
    if chart.status != ChartStatus.DRAFT:
        raise ChartError("status", _("This chart is signed and locked: write an amendment."),
                         code="locked")
    if expected_version != chart.version:
        raise StaleChart
    if partial:
        data = {**forms.from_post({}), **_content_as_input(chart.content),
                **_refs_of(chart), **data}
    content, refs, errors = forms.clean(data, chart.content)
    if refs["practitioner_id"] is None:
        refs["practitioner_id"] = chart.practitioner_id
    ev = _evaluate_and_save(chart, refs, errors, content=content)
    with transaction.atomic():
        # The version in the WHERE clause is the lost-update check: of two saves of the
        # same version, only the first matches a row.
        saved = Chart.objects.filter(pk=chart.pk, version=expected_version,
                                     status=ChartStatus.DRAFT).update(
            content=chart.content, practitioner=chart.practitioner,
            supervisor=chart.supervisor, device=chart.device, lot=chart.lot,
            verdict=chart.verdict, findings=chart.findings, rules_version=chart.rules_version,
            cosign_required=chart.cosign_required,
            supervision_required=chart.supervision_required, input_errors=chart.input_errors,
            version=expected_version + 1, updated_at=timezone.now())
        if not saved:
            raise StaleChart
        chart.version = expected_version + 1
        record(actor, Action.UPDATE, chart, patient_id=chart.patient_id,
               data={"version": chart.version, "verdict": ev.verdict,
                     "codes": sorted({f["code"] for f in ev.findings}),
                     "input_errors": sorted(errors)})
    return chart, errors


# --- sign, co-sign ----------------------------------------------------------------------


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def sha256_of(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(document)).hexdigest()


def seal(doc: dict[str, Any], *, by_id: int, by_name: str, at: dt.datetime) -> str:
    """Stamp the signer and the moment on the document; its SHA-256 (one definition:
    ``chart_sign`` and the synthetic seed)."""
    doc["signed_by"] = {"id": by_id, "name": by_name}
    doc["signed_at"] = at.isoformat()
    return sha256_of(doc)


def amendment_seal(doc: dict[str, Any], *, number: int, reason: str, by_name: str,
                   previous_sha256: str) -> str:
    """Stamp the amendment on the corrected document; its SHA-256 (``chart_amend`` and
    the synthetic seed)."""
    doc["amendment"] = {"number": number, "reason": reason, "by": by_name,
                        "previous_sha256": previous_sha256}
    return sha256_of(doc)


def _who(m: Membership | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"id": m.pk, "name": str(m.user), "role": m.role,
            "registration": m.registration_number}


def signed_document(chart: Chart, *, mrn: str, practitioner: dict[str, Any] | None,
                    supervisor: dict[str, Any] | None, device: Any, lot: Any,
                    content: dict[str, Any], during: list[dict[str, Any]],
                    findings: list[dict[str, Any]], verdict: str,
                    rules_version: str) -> dict[str, Any]:
    """The shape of a signed chart, the one place it is defined (the synthetic generator
    builds its charts with it too, from values it already holds)."""
    return {
        "chart": chart.pk, "clinic": chart.clinic_id,
        "patient": {"id": chart.patient_id, "mrn": mrn},
        "appointment": chart.appointment_id, "plan": chart.plan_id, "on": chart.on.isoformat(),
        "indication": chart.indication, "severity": chart.severity,
        "practitioner": practitioner, "supervisor": supervisor,
        "device": None if device is None else {
            "id": device.pk, "model": device.model_name, "serial": device.serial_number},
        "lot": None if lot is None else {
            "id": lot.pk, "number": lot.lot_number, "expiry": lot.expiry.isoformat(),
            "product": str(lot.product)},
        "content": content,
        "adverse_events_during": during,
        "rules": {"version": rules_version, "verdict": verdict,
                  "findings": [{"code": f["code"], "severity": f["severity"],
                                "field": f["field"]} for f in findings]},
    }


def document(chart: Chart, content: dict[str, Any], ev_findings: list[dict[str, Any]],
             verdict: str, rules_version: str) -> dict[str, Any]:
    """The chart as signed: everything a reader needs, in canonical JSON."""
    during = [{"kind": a.kind, "severity": a.severity, "action_taken": a.action_taken,
               "description": a.description}
              for a in chart.adverse_events.filter(phase=AEPhase.DURING).order_by("id")]
    return signed_document(
        chart, mrn=chart.patient.mrn, practitioner=_who(chart.practitioner),
        supervisor=_who(chart.supervisor), device=chart.device, lot=chart.lot,
        content=content, during=during, findings=ev_findings, verdict=verdict,
        rules_version=rules_version)


def chart_sign(*, actor: Actor, chart: Chart, expected_version: int | None = None) -> Chart:
    """The practitioner signs: the rules run once more; a refusal cannot be signed. The
    cartridge is drawn from the lot (reference ``chart:<id>``), the chart is locked with
    its SHA-256, the aftercare sheet is fixed, the check-in queued and the appointment
    completed (which re-flows the next sessions)."""
    with transaction.atomic():
        locked = (Chart.objects.select_for_update(of=("self",))
                  .select_related("patient__clinic", "practitioner__user", "plan")
                  .get(pk=chart.pk))
        if locked.status != ChartStatus.DRAFT:
            raise ChartError("status", _("This chart is already signed."), code="signed")
        if expected_version is not None and expected_version != locked.version:
            raise StaleChart
        if actor.user is None or locked.practitioner.user_id != actor.user.pk:
            raise ChartError("practitioner", _(
                "Only the practitioner who performed the session signs the chart."),
                code="not_practitioner")
        _refuse_before_session(locked)
        ev = _evaluate_and_save(locked, _refs_of(locked), {})
        if locked.input_errors or ev.verdict == "refuse":
            Chart.objects.filter(pk=locked.pk).update(
                verdict=ev.verdict, findings=ev.findings, rules_version=ev.rules_version,
                cosign_required=ev.cosign_required,
                supervision_required=ev.supervision_required)
            raise ChartError("verdict", _(
                "The rules refuse this session as charted: see the findings next to each "
                "field. A refused chart cannot be signed."), code="refused")
        try:
            draw = lot_draw(actor=actor, lot=locked.lot, device=locked.device,
                            patient=locked.patient, reference=f"chart:{locked.pk}",
                            on=locked.on) if locked.lot is not None else None
        except DrawRefused as exc:
            raise ChartError("lot", exc.message, code=f"lot.{exc.code}") from None
        now = timezone.now()
        doc = document(locked, locked.content, ev.findings, ev.verdict, ev.rules_version)
        locked.sha256 = seal(doc, by_id=actor.user.pk, by_name=str(actor.user), at=now)
        locked.lot_draw = draw
        locked.signed_by, locked.signed_at = actor.user, now
        locked.signed_content = doc
        locked.status = ChartStatus.PENDING_COSIGN if ev.cosign_required else ChartStatus.FINAL
        locked.aftercare = aftercare_sheet(locked, ev.max_depth)
        locked.version += 1
        locked.save()
        record(actor, Action.UPDATE, locked, patient_id=locked.patient_id,
               data={"signed": True, "sha256": locked.sha256, "verdict": ev.verdict,
                     "rules_version": ev.rules_version, "status": locked.status,
                     "lot_draw": draw.pk if draw else None})
        if locked.appointment_id:
            appt = Appointment.objects.get(pk=locked.appointment_id)
            if appt.status == Status.BOOKED:
                scheduling.appointment_status_set(actor=actor, appointment=appt,
                                                  status=Status.COMPLETED,
                                                  reason=f"chart:{locked.pk}")
        queue_checkin(locked)
    return locked


def session_started(chart: Chart) -> bool:
    """Has the session happened (clinic time)? A booked session from its start; a walk-in
    from the start of its day at the clinic."""
    if chart.appointment_id:
        return chart.appointment.start <= clock.now()
    return clock.today(chart.clinic) >= chart.on


def _refuse_before_session(chart: Chart) -> None:
    if not session_started(chart):
        raise ChartError("on", _(
            "This session has not happened yet (%(on)s, clinic time): a chart is signed "
            "after the session, never before.") % {"on": chart.on.isoformat()},
            code="before_session")


def chart_attest_supervision(*, actor: Actor, chart: Chart) -> Chart:
    """The supervising physician confirms, on their own session, that they supervised this
    session: a tap recorded with the time. A supervised dermal chart cannot be signed until
    then (the rules refuse ``supervision.not_attested``)."""
    with transaction.atomic():
        locked = Chart.objects.select_for_update(of=("self",)).select_related(
            "supervisor__user").get(pk=chart.pk)
        if locked.supervisor_id is None or actor.user is None or \
                locked.supervisor.user_id != actor.user.pk:
            raise ChartError("supervisor", _(
                "Only the supervising physician named on the chart can attest supervision, "
                "signed in as themselves."), code="not_supervisor")
        if locked.status != ChartStatus.DRAFT:
            raise ChartError("status", _("This chart is already signed."), code="signed")
        if locked.supervision_attested_by_id == locked.supervisor_id:
            return locked
        locked.supervision_attested_by = locked.supervisor
        locked.supervision_attested_at = clock.now()
        _evaluate_and_save(locked, _refs_of(locked), {})
        locked.version += 1
        locked.save()
        record(actor, Action.UPDATE, locked, patient_id=locked.patient_id,
               data={"supervision_attested": True,
                     "at": locked.supervision_attested_at.isoformat()})
    return locked


def can_cosign(actor: Actor, chart: Chart) -> bool:
    """The named supervising physician co-signs; a physician who performed the session
    themselves may co-sign it (as physician). No one supervises themselves otherwise."""
    if actor.user is None or not has_perm(actor.role, "chart.cosign"):
        return False
    if chart.supervisor_id is not None:
        return chart.supervisor.user_id == actor.user.pk
    return has_perm(chart.practitioner.role, "chart.cosign") and \
        chart.practitioner.user_id == actor.user.pk


def chart_cosign(*, actor: Actor, chart: Chart, note: str) -> Chart:
    note = note.strip()[:2000]
    with transaction.atomic():
        locked = Chart.objects.select_for_update(of=("self",)).select_related(
            "supervisor__user", "practitioner__user").get(pk=chart.pk)
        if locked.status != ChartStatus.PENDING_COSIGN:
            raise ChartError("status", _("This chart is not waiting for a co-signature."),
                             code="not_pending")
        if not can_cosign(actor, locked):
            raise ChartError("cosign", _(
                "Only the supervising physician named on the chart can co-sign it."),
                code="not_supervisor")
        if not note and any(f["severity"] == "review" for f in locked.findings):
            raise ChartError("note", _(
                "The rules asked for a physician's review: write a note with the "
                "co-signature."), code="note_required")
        locked.cosigned_by, locked.cosigned_at = actor.user, timezone.now()
        locked.cosign_note = note
        locked.status = ChartStatus.FINAL
        locked.version += 1
        locked.save(update_fields=["cosigned_by", "cosigned_at", "cosign_note", "status",
                                   "version", "updated_at"])
        record(actor, Action.UPDATE, locked, patient_id=locked.patient_id, reason=note,
               data={"cosigned": True, "sha256": locked.sha256})
    return locked


# --- amend ------------------------------------------------------------------------------


def chart_amend(*, actor: Actor, chart: Chart, reason: str, data: dict[str, Any]) -> Amendment:
    """Correct a locked chart: the reason is required; the content before and after are
    kept; the rules run on the corrected values and their answer is stored. A correction
    the rules send to review (or refuse) goes back to the physician's co-sign queue."""
    reason = reason.strip()
    if not reason:
        raise ChartError("reason", _("Give the reason for the amendment."), code="reason")
    if actor.role not in CLINICAL_ROLES:
        raise ChartError("status", _("Only a clinician can amend a chart."), code="role")
    with transaction.atomic():
        locked = Chart.objects.select_for_update(of=("self",)).select_related(
            "patient__clinic", "practitioner__user", "supervisor__user", "plan", "device",
            "lot__product").get(pk=chart.pk)
        if locked.status == ChartStatus.DRAFT:
            raise ChartError("status", _("A draft is edited, not amended."), code="draft")
        if actor.user.pk not in (locked.practitioner.user_id, getattr(
                locked.supervisor, "user_id", None)) and not has_perm(actor.role,
                                                                        "chart.cosign"):
            raise ChartError("status", _(
                "Only the practitioner, the supervising physician or a physician can amend "
                "this chart."), code="not_allowed")
        before = dict(locked.content)
        merged = {**forms.from_post({}), **_content_as_input(before), **data}
        content, _refs, errors = forms.clean(merged, before)
        if errors:
            raise ChartError(next(iter(errors)), "; ".join(errors.values()), code="input")
        content["lot_number"] = before.get("lot_number", "")
        ev = _evaluate_and_save(locked, _refs_of(locked), {}, content=content)
        changed = sorted(k for k in set(before) | set(content) if before.get(k) !=
                         content.get(k))
        if not changed:
            raise ChartError("reason", _("The amendment changes nothing."), code="unchanged")
        number = locked.amendments.count() + 1
        after_doc = document(locked, content, ev.findings, ev.verdict, ev.rules_version)
        sha256 = amendment_seal(after_doc, number=number, reason=reason,
                                by_name=str(actor.user), previous_sha256=_latest_sha(locked))
        amendment = Amendment.objects.create(
            chart=locked, number=number, reason=reason[:2000], before=before, after=content,
            changed=changed, verdict=ev.verdict, findings=ev.findings,
            rules_version=ev.rules_version, sha256=sha256, by=actor.user)
        fields = ["content", "verdict", "findings", "rules_version", "cosign_required",
                  "supervision_required", "version", "updated_at", "aftercare"]
        if ev.verdict != "allow" and locked.status == ChartStatus.FINAL:
            locked.status = ChartStatus.PENDING_COSIGN
            locked.cosigned_by, locked.cosigned_at, locked.cosign_note = None, None, ""
            fields += ["status", "cosigned_by", "cosigned_at", "cosign_note"]
        locked.aftercare = aftercare_sheet(locked, ev.max_depth)
        locked.version += 1
        locked.save(update_fields=fields)
        record(actor, Action.UPDATE, amendment, patient_id=locked.patient_id, reason=reason,
               data={"chart": locked.pk, "number": number, "changed": changed,
                     "verdict": ev.verdict, "sha256": amendment.sha256})
    return amendment


def _latest_sha(chart: Chart) -> str:
    last = chart.amendments.order_by("-number").first()
    return last.sha256 if last else chart.sha256


def _content_as_input(content: dict[str, Any]) -> dict[str, Any]:
    keys = ("today", "photos_taken", "cleansing", "numbing", "zones", "topicals",
            "duration_min", "notes")
    return {k: content.get(k) for k in keys if k in content}


# --- aftercare and check-in -------------------------------------------------------------


def aftercare_sheet(chart: Chart, max_depth: float | None) -> dict[str, Any] | None:
    """Downtime and aftercare from the rules by the deepest depth actually used."""
    if not max_depth:
        return None
    days = rules.downtime(max_depth)
    return {
        "max_depth_mm": max_depth,
        "downtime": {"min": days.min_days, "max": days.max_days, "source": days.source},
        "items": [i.to_dict() for i in rules.aftercare(max_depth)],
        "language": chart.patient.preferred_language,
        "rules_version": rules.RULES_VERSION,
    }


def checkin_text(chart: Chart, lang: str) -> tuple[str, str]:
    """The rules' check-in (checkin.toml) for the depth actually used, in ``lang``."""
    depth = (chart.aftercare or {}).get("max_depth_mm")
    ci = rules.checkin(float(depth) if depth else None)
    return ci.subject(lang), ci.body(lang, name=chart.patient.given_name,
                                     when=chart.on.isoformat(),
                                     where=chart.patient.clinic.name)


def queue_checkin(chart: Chart) -> PatientMessage:
    """The check-in after the session, as scheduling's reminders queue theirs; a check-in
    queued at booking for the appointment is replaced by this one."""
    if chart.appointment_id:
        PatientMessage.objects.filter(appointment_id=chart.appointment_id, kind="checkin",
                                      status="queued").update(
            status="cancelled", reason="replaced by the chart's check-in")
    when = (chart.signed_at or clock.now()) + dt.timedelta(hours=rules.checkin().after_hours)
    subject, body = checkin_text(chart, chart.patient.preferred_language)
    msg = PatientMessage.objects.create(
        patient=chart.patient, appointment_id=chart.appointment_id, kind="checkin",
        subject=subject, body=body, status="queued", send_after=when)
    send_patient_message.using(run_after=when).enqueue(msg.pk)
    return msg


# --- adverse events ---------------------------------------------------------------------


def adverse_event_record(*, actor: Actor, patient: Patient, chart: Chart | None, phase: str,
                         kind: str, severity: str, description: str = "",
                         action_taken: str = "", occurred_on: dt.date | None = None
                         ) -> AdverseEvent:
    if chart is not None and chart.patient_id != patient.pk:
        raise ChartError("chart", _("That chart belongs to another patient."))
    if phase == AEPhase.DURING and chart is not None and chart.locked:
        raise ChartError("phase", _(
            "The chart is signed: record an event during the session as an amendment, or as "
            "an event after the session."), code="locked")
    ae = AdverseEvent(clinic_id=patient.clinic_id, patient=patient, chart=chart, phase=phase,
                      kind=kind, severity=severity, description=description.strip(),
                      action_taken=action_taken.strip(),
                      occurred_on=occurred_on or (
                          chart.on if chart else clock.today(patient.clinic)),
                      reported_by=actor.user)
    ae.full_clean(exclude=["clinic", "patient", "chart", "reported_by"])
    with transaction.atomic():
        ae.save()
        record(actor, Action.CREATE, ae, patient_id=patient.pk,
               data={"kind": kind, "severity": severity, "phase": phase,
                     "chart": chart.pk if chart else None})
    return ae


def adverse_event_follow_up(*, actor: Actor, event: AdverseEvent, note: str,
                            status: str) -> AdverseEvent:
    note = note.strip()[:2000]
    if status not in AEStatus.values:
        raise ChartError("status", _("Choose a status."))
    if not note:
        raise ChartError("note", _("Write the follow-up note."))
    with transaction.atomic():
        locked = AdverseEvent.objects.select_for_update().get(pk=event.pk)
        locked.notes = [*locked.notes, {"at": timezone.now().isoformat(), "by": str(actor.user),
                                        "note": note, "status": status}]
        locked.status = status
        locked.save(update_fields=["notes", "status", "updated_at"])
        record(actor, Action.UPDATE, locked, patient_id=locked.patient_id, reason=note,
               data={"status": status})
    return locked


def lot_for(chart: Chart) -> CartridgeLot | None:
    return chart.lot
