"""Asking the rules engine about a plan.

A plan is checked for what it decides: the patient, the indication, the zones and their
depths, and the conditions a physician set at screening. Who performs it and with which
device are only known at booking and charting, where the rules are asked again with the
real practitioner, supervisor and device (``rules.check_plan`` invents neither).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import JSONField, OuterRef, QuerySet, Subquery

from puncta import facts, rules
from puncta.patients.intake.answers import to_rules_patient
from puncta.patients.intake.selectors import intake_submitted, screening_current
from puncta.patients.models import IntakeResponse, IntakeStatus, Patient, Screening


def patient_facts(patient: Patient, on: dt.date,
                  answers: dict[str, Any] | None = None) -> rules.Patient:
    """The rules' patient from the last submitted intake (pass ``answers`` when the
    caller already read them)."""
    if answers is None:
        intake = intake_submitted(patient)
        answers = intake.answers if intake else {}
    subject, _ = to_rules_patient(birth_date=patient.date_of_birth,
                                  phototype=patient.phototype, answers=answers, on=on)
    return subject


def restrictions_for(patient: Patient) -> rules.Restrictions:
    """The physician's structured conditions on the patient's current screening."""
    return facts.screening_restrictions(screening_current(patient))


# Rules inputs read with the plan itself (subqueries on its patient): the answers of the last
# submitted intake and the current screening's conditions, as ``intake_submitted`` and
# ``screening_current`` would read them (same filters, same order), without two queries.
_INPUTS = ("ri_answers", "ri_screening", "ri_start", "ri_depth", "ri_zones")


def with_rule_inputs(qs: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate a query of plans with their patient's rules inputs (see ``rule_inputs``)."""
    intake = IntakeResponse.objects.filter(patient=OuterRef("patient_id"),
                                           status=IntakeStatus.SUBMITTED).order_by(
        "-created_at", "-id")  # IntakeResponse.Meta.ordering
    screening = Screening.objects.filter(patient=OuterRef("patient_id"),
                                         superseded_at__isnull=True).order_by(
        "-screened_at", "-id")  # Screening.Meta.ordering
    return qs.annotate(
        ri_answers=Subquery(intake.values("answers")[:1], output_field=JSONField()),
        ri_screening=Subquery(screening.values("pk")[:1]),
        ri_start=Subquery(screening.values("restrict_earliest_start")[:1]),
        ri_depth=Subquery(screening.values("restrict_max_depth_mm")[:1]),
        ri_zones=Subquery(screening.values("restrict_avoid_zones")[:1],
                          output_field=JSONField()))


def rule_inputs(plan: Any) -> tuple[dict[str, Any], rules.Restrictions]:
    """(intake answers, screening restrictions) of the plan's patient: from the plan's
    annotations when it was read ``with_rule_inputs``, else two queries."""
    if all(hasattr(plan, name) for name in _INPUTS):
        answers = plan.ri_answers if plan.ri_answers is not None else {}
        if plan.ri_screening is None:
            return answers, facts.screening_restrictions(None)
        return answers, facts.restrictions(earliest_start=plan.ri_start,
                                           max_depth_mm=plan.ri_depth,
                                           avoid_zones=plan.ri_zones or ())
    intake = intake_submitted(plan.patient)
    return (intake.answers if intake else {}), restrictions_for(plan.patient)


def check_plan(*, patient: Patient, indication: str, severity: str, on: dt.date,
               zones: list[tuple[str, Decimal, int]]) -> rules.SessionDecision:
    return rules.check_plan(facts.plan(
        clinic=patient.clinic, on=on, indication=indication, severity=severity,
        patient=patient_facts(patient, on), zones=facts.zones(zones),
        restrictions=restrictions_for(patient),
    ))


def zone_of_field(field: str, zones: list[tuple[str, Decimal, int]]) -> str:
    """'zones[2].depth_mm' → the code of the third zone ('' when not about a zone)."""
    if field.startswith("zones[") and "]" in field:
        try:
            return zones[int(field[6:field.index("]")])][0]
        except (ValueError, IndexError):
            return ""
    return ""
