"""Who may perform a planned session, with which device, and whether a supervising
physician is needed: the rules engine decides, with the real practitioner and device."""

from __future__ import annotations

import datetime as dt

from puncta import facts, rules
from puncta.accounts.models import Membership
from puncta.devices.models import Device
from puncta.plans.checks import patient_facts, rule_inputs
from puncta.plans.models import TreatmentPlan


class Eligibility:
    """Rules decisions for one plan, cached by (role, supervised, device, day).

    ``previous`` are the patient's sessions already done (any course), with their zones.
    """

    def __init__(self, plan: TreatmentPlan,
                 previous: tuple[rules.PreviousSession, ...] = ()) -> None:
        self.plan = plan
        self.patient = plan.patient
        self.zones = facts.zones((z.zone, z.depth_mm, z.passes) for z in plan.zones.all())
        self.previous = previous
        self._facts: dict[dt.date, rules.Patient] = {}
        self._answers, self._restrictions = rule_inputs(plan)
        self._cache: dict[tuple[str, bool, int | None, dt.date], rules.SessionDecision] = {}

    def decide(self, practitioner: Membership, supervisor: Membership | None,
               device: Device | None, on: dt.date) -> rules.SessionDecision:
        key = (practitioner.role, supervisor is not None, device.pk if device else None, on)
        if key not in self._cache:
            if on not in self._facts:
                self._facts[on] = patient_facts(self.patient, on, self._answers)
            self._cache[key] = rules.check_session(facts.session(
                clinic=self.patient.clinic, on=on, indication=self.plan.indication,
                severity=self.plan.severity, patient=self._facts[on],
                practitioner=facts.practitioner(practitioner.role,
                                                facts.supervisor(supervisor)),
                device=facts.device(device, on), zones=self.zones,
                previous=tuple(p for p in self.previous if p.on < on),
                restrictions=self._restrictions,
            ))
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
