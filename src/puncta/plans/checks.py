"""Asking the rules engine about a plan.

A plan is checked for what it decides: the patient, the indication, the zones and their
depths. Who performs it and with which device are only known at booking and charting,
where the rules are asked again with the real practitioner, supervisor and device; here
the question is put as if a physician performed it with a suitable licensed device, so
that only the plan's own findings come back.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from puncta import rules
from puncta.accounts.roles import Role
from puncta.patients.intake.answers import to_rules_patient
from puncta.patients.intake.selectors import intake_submitted
from puncta.patients.models import Patient


def authority_for(jurisdiction: str) -> str:
    return "FDA" if jurisdiction.startswith("US") else "HC"


def patient_facts(patient: Patient, on: dt.date,
                  answers: dict[str, Any] | None = None) -> dict[str, Any]:
    """The rules' patient facts from the last submitted intake (pass ``answers`` when the
    caller already read them)."""
    if answers is None:
        intake = intake_submitted(patient)
        answers = intake.answers if intake else {}
    facts, _ = to_rules_patient(birth_date=patient.date_of_birth, phototype=patient.phototype,
                                answers=answers, on=on)
    return facts


def settings_for(patient: Patient) -> dict[str, int]:
    return {"isotretinoin_washout_months": patient.clinic.isotretinoin_washout_months}


def check_plan(*, patient: Patient, indication: str, severity: str, on: dt.date,
               zones: list[tuple[str, Decimal, int]]) -> rules.SessionDecision:
    deepest = float(max((d for _, d, _ in zones), default=Decimal("0.5")))
    proposal = rules.proposal_from_dict({
        "on": on.isoformat(),
        "jurisdiction": patient.clinic.jurisdiction,
        "indication": indication,
        "severity": severity,
        "patient": patient_facts(patient, on),
        "practitioner": {"role": Role.PHYSICIAN.value, "supervising_physician": None},
        "device": {"intended_use": "professional", "max_depth_mm": max(deepest, 0.25),
                   "licence": {"authority": authority_for(patient.clinic.jurisdiction),
                               "number": "plan-check", "class": 2, "status": "active"}},
        "zones": [{"zone": z, "depth_mm": float(d), "passes": p} for z, d, p in zones],
        "settings": settings_for(patient),
    })
    return rules.check_session(proposal)


def zone_of_field(field: str, zones: list[tuple[str, Decimal, int]]) -> str:
    """'zones[2].depth_mm' → the code of the third zone ('' when not about a zone)."""
    if field.startswith("zones[") and "]" in field:
        try:
            return zones[int(field[6:field.index("]")])][0]
        except (ValueError, IndexError):
            return ""
    return ""
