"""Who may perform a planned session, with which device, and whether a supervising
physician is needed: the rules engine decides, with the real practitioner and device."""

from __future__ import annotations

import datetime as dt
from typing import Any

from puncta import rules
from puncta.accounts.models import Membership
from puncta.devices.models import Device
from puncta.devices.selectors import device_rules_facts
from puncta.patients.intake.selectors import intake_submitted
from puncta.plans.checks import patient_facts, settings_for
from puncta.plans.models import TreatmentPlan


def supervisor_facts(supervisor: Membership | None) -> dict[str, Any] | None:
    if supervisor is None:
        return None
    return {"id": supervisor.pk, "name": str(supervisor.user), "role": supervisor.role}


class Eligibility:
    """Rules decisions for one plan, cached by (role, supervised, device, day)."""

    def __init__(self, plan: TreatmentPlan, previous: list[dt.date] | None = None) -> None:
        self.plan = plan
        self.patient = plan.patient
        self.zones = [{"zone": z.zone, "depth_mm": float(z.depth_mm), "passes": z.passes}
                      for z in plan.zones.all()]
        self.previous = sorted(previous or [])
        self._facts: dict[dt.date, dict[str, Any]] = {}
        intake = intake_submitted(self.patient)
        self._answers: dict[str, Any] = intake.answers if intake else {}
        self._cache: dict[tuple[str, bool, int | None, dt.date], rules.SessionDecision] = {}

    def decide(self, practitioner: Membership, supervisor: Membership | None,
               device: Device | None, on: dt.date) -> rules.SessionDecision:
        key = (practitioner.role, supervisor is not None, device.pk if device else None, on)
        if key not in self._cache:
            if on not in self._facts:
                self._facts[on] = patient_facts(self.patient, on, self._answers)
            proposal = rules.proposal_from_dict({
                "on": on.isoformat(),
                "jurisdiction": self.patient.clinic.jurisdiction,
                "indication": self.plan.indication,
                "severity": self.plan.severity,
                "patient": self._facts[on],
                "practitioner": {"role": practitioner.role,
                                 "supervising_physician": supervisor_facts(supervisor)},
                "device": device_rules_facts(device, on) if device else
                {"intended_use": "professional", "licence": None, "max_depth_mm": None},
                "zones": self.zones,
                "previous_sessions": [d.isoformat() for d in self.previous if d < on],
                "settings": settings_for(self.patient),
            })
            self._cache[key] = rules.check_session(proposal)
        return self._cache[key]

    def needs_supervisor(self, practitioner: Membership, device: Device, on: dt.date) -> bool:
        """True when the only refusal without a supervisor is supervision.required."""
        alone = self.decide(practitioner, None, device, on)
        refusals = {f.code for f in alone.findings if f.severity == "refuse"}
        return refusals == {"supervision.required"}

    def refusals(self, practitioner: Membership, supervisor: Membership | None,
                 device: Device | None, on: dt.date) -> list[rules.Finding]:
        return [f for f in self.decide(practitioner, supervisor, device, on).findings
                if f.severity == "refuse"]
