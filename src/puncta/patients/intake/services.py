"""Intake links, saving answers, submitting, screening and the physician's review.

Every write is one transaction with its audit event inside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as N_

from puncta import facts, rules
from puncta.accounts.roles import has_perm
from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.clinics import clock
from puncta.clinics.errors import DomainError

from ..models import (
    IntakeLink,
    IntakeResponse,
    IntakeStatus,
    Patient,
    Questionnaire,
    ReviewDecision,
    Screening,
    ScreeningResult,
)
from . import answers as answer_parsing
from .definition import VERSION, as_json

LINK_DAYS = 7
RESULT_BY_VERDICT = {
    "allow": ScreeningResult.CLEAR,
    "review": ScreeningResult.REVIEW,
    "refuse": ScreeningResult.NOT_CANDIDATE,
}


class StaleIntake(DomainError):
    """Someone else saved this intake after the editor loaded it."""

    status = 409
    default_code = "stale"

    def __init__(self) -> None:
        super().__init__(N_("The intake changed since that version; read it again."),
                         field="version")


class IncompleteIntake(DomainError):
    default_code = "intake.incomplete"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(N_("Some answers are invalid."), field=next(iter(errors), ""))
        self.errors = errors

    def details(self) -> dict[str, Any]:
        return {"errors": {k: str(v) for k, v in self.errors.items()}}


class ReviewError(DomainError):
    default_code = "screening.review"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def questionnaire_current() -> Questionnaire:
    q, _ = Questionnaire.objects.get_or_create(version=VERSION, defaults={"definition": as_json()})
    return q


def intake_open(*, actor: Actor, patient: Patient, fresh: bool = False) -> IntakeResponse:
    """The intake to work on.

    At the desk (``fresh=False``) that is the latest one, submitted or not: a change to a
    submitted intake screens the patient again. A new patient link (``fresh=True``) gets a
    draft, pre-filled from the last submitted intake, so a returning patient updates
    rather than starts over.
    """
    with transaction.atomic():
        latest = patient.intakes.first()
        if latest is not None and (not fresh or latest.status == IntakeStatus.DRAFT):
            return latest
        draft = IntakeResponse.objects.create(
            patient=patient, questionnaire=questionnaire_current(),
            answers=dict(latest.answers) if latest else {"concerns": list(patient.concerns)},
        )
        record(actor, Action.CREATE, draft, patient_id=patient.pk)
    return draft


def intake_link_create(*, actor: Actor, patient: Patient) -> tuple[IntakeLink, str]:
    """A new single-use link; earlier unused links of the patient stop working."""
    with transaction.atomic():
        response = intake_open(actor=actor, patient=patient, fresh=True)
        now = timezone.now()
        IntakeLink.objects.filter(response__patient=patient, used_at__isnull=True,
                                  revoked_at__isnull=True).update(revoked_at=now)
        raw = secrets.token_urlsafe(32)
        link = IntakeLink.objects.create(
            response=response, token_hash=_hash(raw), created_by=actor.user,
            expires_at=now + dt.timedelta(days=LINK_DAYS),
        )
        record(actor, Action.CREATE, link, patient_id=patient.pk,
               data={"expires_at": link.expires_at.isoformat()})
    return link, raw


def intake_link_resolve(raw: str) -> IntakeLink | None:
    """The link if it is usable now: not used, not revoked, not expired."""
    if not raw or len(raw) > 100:
        return None
    link = (IntakeLink.objects.select_related("response__patient__clinic")
            .filter(token_hash=_hash(raw)).first())
    if link is None or link.used_at or link.revoked_at or link.expires_at <= timezone.now():
        return None
    return link


def intake_save(*, actor: Actor, response: IntakeResponse, data: Any, expected_version: int,
                partial: bool = False) -> tuple[IntakeResponse, dict[str, str]]:
    """Save what is valid of the submitted fields; return per-question errors.

    A save based on an older version is refused (two editors never overwrite each other).
    Changing a submitted intake screens the patient again.
    """
    patient = response.patient
    today = clock.today(patient.clinic)
    parsed, errors = answer_parsing.parse(data, born=patient.date_of_birth, today=today,
                                          only_present=partial)
    valid = {k: v for k, v in parsed.items() if k not in errors}
    with transaction.atomic():
        current = IntakeResponse.objects.select_for_update().get(pk=response.pk)
        if current.version != expected_version:
            raise StaleIntake
        before = current.answers
        merged = {**current.answers, **valid}
        if merged != current.answers:
            changed = sorted(k for k in valid if current.answers.get(k) != valid[k])
            current.answers = merged
            current.version += 1
            current.save(update_fields=["answers", "version", "updated_at"])
            record(actor, Action.UPDATE, current, patient_id=patient.pk,
                   data={"changed": changed})
            if current.status == IntakeStatus.SUBMITTED and _facts(current, before) != _facts(
                    current, current.answers):
                screening_run(actor=actor, intake=current)
    return current, errors


def _facts(intake: IntakeResponse, answers: dict[str, Any]) -> rules.Patient:
    facts, _ = answer_parsing.to_rules_patient(
        birth_date=intake.patient.date_of_birth, phototype=intake.patient.phototype,
        answers=answers, on=clock.today(intake.patient.clinic))
    return facts


def intake_submit(*, actor: Actor, response: IntakeResponse, by_patient: bool,
                  link: IntakeLink | None = None) -> Screening:
    with transaction.atomic():
        current = IntakeResponse.objects.select_for_update().get(pk=response.pk)
        _, errors = answer_parsing.parse(_as_form(current.answers),
                                         born=current.patient.date_of_birth,
                                         today=clock.today(current.patient.clinic))
        if errors:
            raise IncompleteIntake(errors)
        current.status = IntakeStatus.SUBMITTED
        current.submitted_at = timezone.now()
        current.submitted_by_patient = by_patient
        current.save(update_fields=["status", "submitted_at", "submitted_by_patient",
                                    "updated_at"])
        if link is not None:
            IntakeLink.objects.filter(pk=link.pk).update(used_at=current.submitted_at)
        record(actor, Action.UPDATE, current, patient_id=current.patient_id,
               data={"submitted": True, "by_patient": by_patient})
        return screening_run(actor=actor, intake=current)


def _as_form(answers: dict[str, Any]) -> dict[str, Any]:
    """Stored answers back in form-field shape (to validate them again on submit)."""
    form: dict[str, Any] = {}
    for key, value in answers.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                if sub == "present":
                    form[f"{key}.present"] = "" if v is None else "on" if v else "no"
                else:
                    form[f"{key}.{sub}"] = v
        elif isinstance(value, bool):
            form[key] = "on" if value else "no"
        elif value is None:
            form[key] = ""
        else:
            form[key] = value if isinstance(value, list) else str(value)
    return form


def screening_run(*, actor: Actor, intake: IntakeResponse,
                  on: dt.date | None = None) -> Screening:
    """Ask the rules engine about the patient's latest answers; supersede the last screening."""
    patient = intake.patient
    clinic = patient.clinic
    on = on or clock.today(clinic)
    subject, origin = answer_parsing.to_rules_patient(
        birth_date=patient.date_of_birth, phototype=patient.phototype, answers=intake.answers,
        on=on,
    )
    result, findings, rules_version = screening_verdict(subject, origin, on=on, clinic=clinic)
    with transaction.atomic():
        now = timezone.now()
        Screening.objects.filter(patient=patient, superseded_at__isnull=True).update(
            superseded_at=now)
        screening = Screening.objects.create(
            patient=patient, intake=intake, intake_version=intake.version,
            result=result, findings=findings,
            rules_version=rules_version, screened_on=on,
            valid_until=on + dt.timedelta(days=clinic.screening_valid_days),
        )
        record(actor, Action.CREATE, screening, patient_id=patient.pk,
               data={"result": screening.result, "codes": [f["code"] for f in findings],
                     "rules_version": rules_version})
    return screening


def screening_verdict(subject: rules.Patient, origin: dict[str, str], *, on: dt.date,
                      clinic: Any) -> tuple[str, list[dict[str, Any]], str]:
    """(result, findings, rules version) of the rules' screening, each finding tagged
    with the question it came from: what ``screening_run`` stores (one definition: the
    synthetic seed asks it too)."""
    decision = rules.screen(subject, on=on, settings=facts.settings(clinic),
                            jurisdiction=clinic.jurisdiction)
    findings = []
    for f in decision.findings:
        item = f.to_dict()
        item["question"] = origin.get(f.field, "")
        findings.append(item)
    return str(RESULT_BY_VERDICT[decision.verdict]), findings, decision.rules_version


def decision_sha256(screening: Screening) -> str:
    """The fingerprint of the physician's signed decision on a screening (one
    definition: ``screening_review`` and the synthetic seed)."""
    assert screening.decided_at is not None, "a decided screening"
    signed = {"screening": screening.pk, "decision": screening.decision,
              "note": screening.decision_note, "conditions": screening.decision_conditions,
              "restrictions": screening.restrictions_data, "by": screening.decided_by_id,
              "at": screening.decided_at.isoformat(), "findings": screening.findings}
    return hashlib.sha256(json.dumps(signed, sort_keys=True, default=str).encode()).hexdigest()


def screening_rerun_if_screened(*, actor: Actor, patient: Patient) -> Screening | None:
    """The patient record changed (e.g. date of birth): screen again if ever screened."""
    last = patient.intakes.filter(status=IntakeStatus.SUBMITTED).first()
    if last is None:
        return None
    return screening_run(actor=actor, intake=last)


def screening_review(*, actor: Actor, screening: Screening, decision: str, note: str,
                     conditions: str = "", earliest_start: dt.date | None = None,
                     max_depth_mm: Decimal | None = None,
                     avoid_zones: list[str] | None = None) -> Screening:
    """A physician approves (with conditions) or declines a screening that needs review.

    Structured conditions (earliest start, maximum depth, areas to avoid) are applied by the
    rules at plan, booking and charting; the free-text conditions are read by people."""
    note = note.strip()
    avoid = list(dict.fromkeys(avoid_zones or []))
    try:
        restrictions = facts.restrictions(earliest_start=earliest_start,
                                          max_depth_mm=max_depth_mm, avoid_zones=avoid)
    except rules.RulesInputError as exc:
        raise ReviewError(N_("Choose areas from the list.")) from exc
    if not has_perm(actor.role, "screening.review"):
        raise ReviewError(N_("Only a physician can decide on a screening."))
    if decision not in ReviewDecision.values:
        raise ReviewError(N_("Choose approve or decline."))
    if not note:
        raise ReviewError(N_("A note is required with the decision."))
    with transaction.atomic():
        current = Screening.objects.select_for_update().get(pk=screening.pk)
        if current.result != ScreeningResult.REVIEW:
            raise ReviewError(N_("This screening does not need a physician's review."))
        if current.decision:
            raise ReviewError(N_("This screening has already been decided."))
        if current.superseded_at:
            raise ReviewError(N_("This screening was replaced by a newer one; review that one."))
        current.decision = decision
        current.decision_note = note
        current.decision_conditions = conditions.strip()
        if decision == ReviewDecision.APPROVED and not restrictions.empty:
            current.restrict_earliest_start = earliest_start
            current.restrict_max_depth_mm = max_depth_mm
            current.restrict_avoid_zones = avoid
        current.decided_by = actor.user
        current.decided_at = timezone.now()
        current.decision_sha256 = decision_sha256(current)
        current.save()
        record(actor, Action.UPDATE, current, patient_id=current.patient_id,
               reason=current.decision_note,
               data={"decision": decision, "conditions": current.decision_conditions,
                     "restrictions": current.restrictions_data,
                     "sha256": current.decision_sha256})
    return current
