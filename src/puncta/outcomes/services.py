"""Writes of the outcomes app: photographs, assessments, single-use links, the follow-up
schedule. Each is one transaction with its audit event inside it; a domain "no" is an
``OutcomeError`` with a code, a message and the field it belongs to."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.charting.models import Chart, ChartStatus
from puncta.clinics import clock
from puncta.consent.selectors import consent_statuses
from puncta.patients.models import Patient
from puncta.plans.models import TreatmentPlan
from puncta.rules import scales as rule_scales

from . import images
from .models import (
    Assessment,
    DueStatus,
    FollowUp,
    LinkPurpose,
    OutcomeLink,
    Photo,
    Source,
    Timepoint,
)

PHOTO_STORAGE = "photos"


class OutcomeError(Exception):
    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.errors: dict[str, str] = {}


def photo_storage() -> Storage:
    """The storage photographs live in: STORAGES["photos"] (local disk under the data
    directory by default; any Django storage, e.g. S3-compatible, by configuration)."""
    return storages[PHOTO_STORAGE]


# --- Courses and timepoints ---------------------------------------------------------------

def course_root(plan: TreatmentPlan | None) -> TreatmentPlan | None:
    """Outcomes hang on a plan's series (its first version), shared by every version."""
    if plan is None or plan.series_id is None:
        return plan
    return TreatmentPlan.objects.get(pk=plan.series_id)


def course_charts(patient: Patient, root: TreatmentPlan) -> list[Chart]:
    """The course's signed sessions in order (session n is the n-th)."""
    charts = (Chart.objects.filter(patient=patient, plan__isnull=False)
              .exclude(status=ChartStatus.DRAFT).select_related("plan").order_by("on", "id"))
    return [c for c in charts if (c.plan.series_id or c.plan_id) == root.pk]


@dataclass(frozen=True)
class When:
    timepoint: str
    session_number: int | None = None
    months: int | None = None

    @property
    def value(self) -> str:
        if self.timepoint == Timepoint.SESSION:
            return f"session:{self.session_number}"
        if self.timepoint == Timepoint.FOLLOW_UP:
            return f"follow_up:{self.months}"
        return "baseline"


def parse_when(value: str) -> When:
    """'baseline', 'session:N' or 'follow_up:M' (the form's and the API's spelling)."""
    kind, _sep, number = (value or "").partition(":")
    if kind == Timepoint.BASELINE and not number:
        return When(Timepoint.BASELINE)
    if kind in (Timepoint.SESSION, Timepoint.FOLLOW_UP) and number.isdigit() and 0 < int(
            number) < 100:
        n = int(number)
        return (When(Timepoint.SESSION, session_number=n) if kind == Timepoint.SESSION
                else When(Timepoint.FOLLOW_UP, months=n))
    raise OutcomeError("timepoint.invalid",
                       _("Choose when: baseline, a session, or a follow-up."), "when")


def _chart_for(when: When, charts: list[Chart] | None) -> Chart | None:
    if when.timepoint != Timepoint.SESSION or not charts or when.session_number is None:
        return None
    n = when.session_number
    return charts[n - 1] if n <= len(charts) else None


# --- Photographs --------------------------------------------------------------------------

def photography_problem(patient: Patient) -> OutcomeError | None:
    """Photographs need the photography consent, current and not withdrawn."""
    status = next(s for s in consent_statuses(patient) if s.procedure == "photography")
    messages = {
        "missing": _("No signed consent to clinical photography: photographs cannot be "
                     "taken or stored."),
        "outdated": _("The consent to clinical photography was signed on an older version: "
                      "the patient must consent again before photographs are taken."),
        "withdrawn": _("The patient withdrew consent to clinical photography."),
    }
    if status.state in messages:
        return OutcomeError(f"consent.photography_{status.state}", messages[status.state],
                            "photo")
    return None


def _store(processed: images.Processed, clinic_id: int, patient_id: int) -> list[str]:
    storage = photo_storage()
    stem = f"{clinic_id}/{patient_id}/{uuid.uuid4().hex}"
    saved = []
    try:
        for suffix, data in (("", processed.full), ("-m", processed.medium),
                             ("-t", processed.thumb)):
            saved.append(storage.save(f"{stem}{suffix}.jpg", ContentFile(data)))
    except Exception:
        _discard(saved)
        raise
    return saved


def _discard(keys: list[str]) -> None:
    storage = photo_storage()
    for key in keys:
        storage.delete(key)


def _check_view(view: str) -> None:
    if view not in rule_scales.photo_views():
        raise OutcomeError("photo.view_unknown", _("Choose a view from the protocol."), "view")


@dataclass(frozen=True)
class Prepared:
    """A photograph checked, cleaned and stored, not yet recorded."""

    processed: images.Processed
    keys: list[str]
    view: str


def photo_prepare(*, patient: Patient, data: bytes, view: str) -> Prepared:
    """Consent, view and file checks, cleaning and storing: the slow part, done before any
    transaction so no lock is held while pixels are re-encoded."""
    problem = photography_problem(patient)
    if problem is not None:
        raise problem
    _check_view(view)
    try:
        processed = images.process(data)
    except images.ImageRefused as exc:
        raise OutcomeError(exc.code, str(exc.message), "photo") from None
    return Prepared(processed, _store(processed, patient.clinic_id, patient.pk), view)


def _photo_row(*, actor: Actor, patient: Patient, root: TreatmentPlan | None, prep: Prepared,
               when: When, zone: str, source: str, taken_on: dt.date | None,
               chart: Chart | None) -> Photo:
    p = prep.processed
    photo = Photo.objects.create(
        clinic_id=patient.clinic_id, patient=patient, plan=root, chart=chart,
        timepoint=when.timepoint, session_number=when.session_number, months=when.months,
        taken_on=taken_on or clock.today(patient.clinic), view=prep.view, zone=zone[:24],
        key=prep.keys[0], medium_key=prep.keys[1], thumb_key=prep.keys[2], width=p.width,
        height=p.height, size_bytes=len(p.full), sha256=p.sha256, source=source,
        created_by=actor.user)
    record(actor, Action.CREATE, photo, patient_id=patient.pk, clinic_id=patient.clinic_id,
           data={"view": prep.view, "timepoint": when.value, "source": source,
                 "sha256": p.sha256})
    return photo


def photo_add(*, actor: Actor, patient: Patient, plan: TreatmentPlan | None, data: bytes,
              view: str, when: When, zone: str = "", source: str = Source.UPLOAD,
              taken_on: dt.date | None = None, charts: list[Chart] | None = None) -> Photo:
    """Check consent and the file, clean it, store it and record it (audited)."""
    prep = photo_prepare(patient=patient, data=data, view=view)
    root = course_root(plan)
    if charts is None and root is not None and when.timepoint == Timepoint.SESSION:
        charts = course_charts(patient, root)
    try:
        with transaction.atomic():
            return _photo_row(actor=actor, patient=patient, root=root, prep=prep, when=when,
                              zone=zone, source=source, taken_on=taken_on,
                              chart=_chart_for(when, charts))
    except Exception:
        _discard(prep.keys)  # the database said no: leave no orphan file behind
        raise


SIZES = {"full": "key", "medium": "medium_key", "thumb": "thumb_key"}


def photo_open(*, actor: Actor, photo: Photo, size: str, via: str = "web") -> Any:
    """The photograph's file, opened for reading, after the read audit event is written:
    no audit, no bytes."""
    if size not in SIZES:
        raise OutcomeError("photo.size_unknown", _("Unknown photograph size."), "size")
    with transaction.atomic():
        record(actor, Action.READ, photo, patient_id=photo.patient_id, clinic_id=photo.clinic_id,
               data={"size": size, "via": via})
    return photo_storage().open(getattr(photo, SIZES[size]), "rb")


def photo_bytes(*, actor: Actor, photo: Photo, size: str, via: str = "web") -> bytes:
    """The photograph's bytes (read audited first, as ``photo_open``)."""
    with photo_open(actor=actor, photo=photo, size=size, via=via) as handle:
        return bytes(handle.read())


# --- Assessments --------------------------------------------------------------------------

def scale_errors(exc: rule_scales.ScaleInputError, language: str) -> dict[str, str]:
    fr = language.startswith("fr")
    return {e.item or "scale": (e.fr if fr else e.en) for e in exc.errors}


def assessment_record(*, actor: Actor, patient: Patient, plan: TreatmentPlan | None,
                      scale: str, answers: dict[str, Any], when: When,
                      on: dt.date | None = None, by_patient: bool = False,
                      language: str = "en", charts: list[Chart] | None = None) -> Assessment:
    """Score the answers with the rules (refusing any out of range) and store them."""
    try:
        sc = rule_scales.scale_get(scale)
    except rule_scales.ScaleInputError:
        raise OutcomeError("scale.unknown", _("Choose a scale."), "scale") from None
    if by_patient != (sc.rater == "patient"):
        raise OutcomeError("scale.wrong_rater", _("This scale is rated by the %(who)s.")
                           % {"who": _("patient") if sc.rater == "patient" else _("clinician")},
                           "scale")
    if sc.kind == "change" and when.timepoint == Timepoint.BASELINE:
        raise OutcomeError("scale.change_at_baseline", _(
            "This scale rates the change since the baseline: it cannot be the baseline."),
            "when")
    try:
        result = rule_scales.score(scale, answers)
    except rule_scales.ScaleInputError as exc:
        error = OutcomeError(exc.errors[0].code, _("Some answers are missing or out of range."),
                             "answers")
        error.errors = scale_errors(exc, language)
        raise error from None
    root = course_root(plan)
    if charts is None and root is not None and when.timepoint == Timepoint.SESSION:
        charts = course_charts(patient, root)
    chart = _chart_for(when, charts)
    # A session's assessment is dated by its session (it may be entered later); anything
    # else by the day it is recorded.
    on = on or (chart.on if chart is not None else clock.today(patient.clinic))
    with transaction.atomic():
        assessment = Assessment.objects.create(
            clinic_id=patient.clinic_id, patient=patient, plan=root, chart=chart,
            timepoint=when.timepoint, session_number=when.session_number, months=when.months,
            on=on, scale=scale, rater=sc.rater,
            answers=result.answers, total=result.total,
            band=result.band.en if result.band else "", scales_version=result.version,
            recorded_by=actor.user, by_patient=by_patient)
        record(actor, Action.CREATE, assessment, patient_id=patient.pk,
               clinic_id=patient.clinic_id,
               data={"scale": scale, "total": result.total, "timepoint": when.value,
                     "scales_version": result.version})
    return assessment


# --- Single-use links ---------------------------------------------------------------------

def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def link_create(*, actor: Actor, patient: Patient, plan: TreatmentPlan | None, purpose: str,
                when: When, days: int | None = None) -> tuple[OutcomeLink, str]:
    """A new single-use link; the patient's earlier unused links of the same purpose stop
    working. The raw token is returned once and never stored."""
    if purpose not in LinkPurpose.values:
        raise OutcomeError("link.purpose", _("Unknown link purpose."), "purpose")
    if purpose == LinkPurpose.CAPTURE and (problem := photography_problem(patient)):
        raise problem
    days = days or rule_scales.outcome_schedule().link_days
    with transaction.atomic():
        now = timezone.now()
        OutcomeLink.objects.filter(patient=patient, purpose=purpose, used_at__isnull=True,
                                   revoked_at__isnull=True).update(revoked_at=now)
        raw = secrets.token_urlsafe(32)
        link = OutcomeLink.objects.create(
            clinic_id=patient.clinic_id, patient=patient, plan=course_root(plan),
            purpose=purpose, timepoint=when.timepoint, session_number=when.session_number,
            months=when.months, token_hash=_hash(raw), created_by=actor.user,
            expires_at=now + dt.timedelta(days=days))
        record(actor, Action.CREATE, link, patient_id=patient.pk, clinic_id=patient.clinic_id,
               data={"purpose": purpose, "timepoint": when.value,
                     "expires_at": link.expires_at.isoformat()})
    return link, raw


def link_resolve(raw: str) -> OutcomeLink | None:
    """The link if usable now: known, not used, not revoked, not expired."""
    if not raw or len(raw) > 100:
        return None
    link = (OutcomeLink.objects.select_related("patient__clinic", "plan")
            .filter(token_hash=_hash(raw)).first())
    if link is None or link.used_at or link.revoked_at or link.expires_at <= timezone.now():
        return None
    return link


def link_actor(link: OutcomeLink, ip: str | None) -> Actor:
    who = "patient" if link.purpose == LinkPurpose.FOLLOW_UP else "clinic phone"
    return Actor(clinic_id=link.clinic_id, ip=ip, label=f"{who} via link {link.pk}")


def link_when(link: OutcomeLink) -> When:
    return When(link.timepoint, link.session_number, link.months)


def link_submit(*, link: OutcomeLink, ip: str | None, photos: dict[str, bytes],
                answers: dict[str, dict[str, Any]], language: str = "en") -> dict[str, int]:
    """Everything sent through a link at once: photographs by view and, for a patient's
    follow-up, their ratings by scale. All or nothing; then the link is used up."""
    actor = link_actor(link, ip)
    patient = link.patient
    when = link_when(link)
    if not photos and not any(answers.values()):
        raise OutcomeError("link.empty", _("Add at least one photograph or answer."), "")
    by_patient = link.purpose == LinkPurpose.FOLLOW_UP
    errors: dict[str, str] = {}
    for scale, given in answers.items():
        if given:
            try:
                rule_scales.score(scale, given)
            except rule_scales.ScaleInputError as exc:
                errors.update({f"{scale}-{k}": v
                               for k, v in scale_errors(exc, language).items()})
    if errors:
        error = OutcomeError("scale.invalid", _("Some answers are missing or out of range."),
                             "answers")
        error.errors = errors
        raise error
    source = Source.PATIENT if by_patient else Source.PHONE
    prepared: list[Prepared] = []
    try:
        for view, data in photos.items():
            prepared.append(photo_prepare(patient=patient, data=data, view=view))
        charts = (course_charts(patient, link.plan) if link.plan is not None
                  and when.timepoint == Timepoint.SESSION else None)
        with transaction.atomic():
            current = OutcomeLink.objects.select_for_update().get(pk=link.pk)
            if current.used_at or current.revoked_at:
                raise OutcomeError("link.used", _("This link has already been used."), "")
            for prep in prepared:
                _photo_row(actor=actor, patient=patient, root=link.plan, prep=prep, when=when,
                           zone="", source=source, taken_on=None,
                           chart=_chart_for(when, charts))
            count = 0
            for scale, given in answers.items():
                if given:
                    assessment_record(actor=actor, patient=patient, plan=link.plan,
                                      scale=scale, answers=given, when=when,
                                      by_patient=by_patient, language=language, charts=charts)
                    count += 1
            current.used_at = timezone.now()
            current.save(update_fields=["used_at"])
            FollowUp.objects.filter(link=current).update(status=DueStatus.DONE)
            record(actor, Action.UPDATE, current, patient_id=patient.pk,
                   clinic_id=patient.clinic_id,
                   data={"used": True, "photos": len(prepared), "assessments": count})
    except Exception:
        _discard([k for p in prepared for k in p.keys])
        raise
    return {"photos": len(prepared), "assessments": count}


# --- The follow-up schedule ---------------------------------------------------------------

def follow_ups_schedule(*, actor: Actor, plan: TreatmentPlan,
                        last_session: dt.date) -> list[FollowUp]:
    """Follow-ups after the course's last session (dates from the rules' schedule), each
    queued as tasks: the clinic reminded before it falls due, the patient sent a link on
    the day. Scheduling again moves those not yet done."""
    from . import tasks  # tasks import services: imported here to avoid a cycle

    root = course_root(plan) or plan
    schedule = rule_scales.outcome_schedule()
    clinic = root.patient.clinic
    out, changed = [], []
    with transaction.atomic():
        for months, due in rule_scales.follow_up_dates(last_session):
            follow, created = FollowUp.objects.get_or_create(
                plan=root, months=months,
                defaults={"clinic_id": clinic.pk, "patient_id": root.patient_id,
                          "due_on": due})
            if not created:
                if follow.status in (DueStatus.DONE, DueStatus.SENT) or follow.due_on == due:
                    out.append(follow)
                    continue
                follow.due_on, follow.status = due, DueStatus.SCHEDULED
                follow.save(update_fields=["due_on", "status"])
            nine = dt.datetime.combine(due, dt.time(9), tzinfo=clock.tz_of(clinic))
            remind = nine - dt.timedelta(days=schedule.remind_days_before)
            tasks.follow_up_remind_clinic.using(run_after=remind).enqueue(follow.pk, str(due))
            tasks.follow_up_send_link.using(run_after=nine).enqueue(follow.pk, str(due))
            out.append(follow)
            changed.append(f"{months}m:{due.isoformat()}")
        if changed:
            record(actor, Action.UPDATE, root, patient_id=root.patient_id, clinic_id=clinic.pk,
                   data={"outcome_follow_ups": changed})
    return out
