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

from puncta import facts, rules
from puncta.patients.intake.answers import to_rules_patient
from puncta.patients.intake.selectors import intake_submitted, screening_current
from puncta.patients.models import Patient


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
