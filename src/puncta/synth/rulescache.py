"""Plan, session and numbing decisions from the rules engine, cached by pattern.

A decision depends on the patient's rules facts (not their birth date, once adult), the
indication, severity and zones, the practitioner's role and whether a physician
supervises, the device model, and the spacing from the previous session. The key holds
exactly those; the date only when a dated medication or procedure is on file (washouts).
The questions are put as the app puts them (``plans.checks.check_plan``,
``scheduling.eligibility.Eligibility``, ``charting.checks._session``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from puncta import rules
from puncta.devices.selectors import device_rules_facts
from puncta.patients.intake.answers import to_rules_patient
from puncta.plans.checks import authority_for

Zones = tuple[tuple[str, str, int], ...]  # (zone, depth "0.50", passes)


@dataclass
class PatientFacts:
    facts: dict[str, Any]
    key: str
    dated: bool


def patient_facts(*, birth_date: dt.date, phototype: int | None,
                  answers: dict[str, Any], on: dt.date) -> PatientFacts:
    facts, _ = to_rules_patient(birth_date=birth_date, phototype=phototype,
                                answers=answers, on=on)
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month,
                                                              birth_date.day))
    dated = any(m.get("last_dose") for m in facts["medications"]) or bool(
        facts["procedures"])
    key = json.dumps([{k: v for k, v in facts.items() if k != "birth_date"},
                      age if age < 18 else "adult"], sort_keys=True)
    return PatientFacts(facts, key, dated)


@dataclass
class RulesCache:
    hits: int = 0
    misses: int = 0
    _cache: dict[Any, Any] = field(default_factory=dict)
    _devices: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _get(self, key: Any, ask: Any) -> Any:
        found = self._cache.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        found = self._cache[key] = ask()
        return found

    def plan(self, *, jurisdiction: str, washout: int, patient: PatientFacts,
             indication: str, severity: str, zones: Zones, on: dt.date
             ) -> rules.SessionDecision:
        """As ``plans.checks.check_plan``: a physician, a suitable licensed device."""
        key = ("plan", jurisdiction, washout, patient.key, on if patient.dated else None,
               indication, severity, zones)

        def ask() -> rules.SessionDecision:
            deepest = max(float(d) for _, d, _ in zones)
            return rules.check_session(rules.proposal_from_dict({
                "on": on.isoformat(), "jurisdiction": jurisdiction,
                "indication": indication, "severity": severity, "patient": patient.facts,
                "practitioner": {"role": "physician", "supervising_physician": None},
                "device": {"intended_use": "professional",
                           "max_depth_mm": max(deepest, 0.25),
                           "licence": {"authority": authority_for(jurisdiction),
                                       "number": "plan-check", "class": 2,
                                       "status": "active"}},
                "zones": [{"zone": z, "depth_mm": float(d), "passes": p}
                          for z, d, p in zones],
                "settings": {"isotretinoin_washout_months": washout},
            }))
        return self._get(key, ask)

    def session(self, *, jurisdiction: str, washout: int, patient: PatientFacts,
                indication: str, severity: str, zones: Zones, on: dt.date, role: str,
                supervisor: dict[str, Any] | None, device: Any,
                previous: list[dt.date], interval: tuple[int, int]
                ) -> rules.SessionDecision:
        """As booking and charting ask it: the real role, supervisor and device."""
        last = max(previous) if previous else None
        gap = (on - last).days if last else None
        # Inside the protocol's interval the spacing yields no finding: one key for all.
        spacing: Any = None if gap is None else (
            "ok" if interval[0] <= gap <= interval[1] else (gap, len(previous), last))
        key = ("session", jurisdiction, washout, patient.key, on if patient.dated else None,
               indication, severity, zones, role, supervisor is not None,
               device.model_name, spacing)
        device_facts = self._devices.get(device.model_name)
        if device_facts is None:
            device_facts = self._devices[device.model_name] = device_rules_facts(device, on)

        def ask() -> rules.SessionDecision:
            return rules.check_session(rules.proposal_from_dict({
                "on": on.isoformat(), "jurisdiction": jurisdiction,
                "indication": indication, "severity": severity, "patient": patient.facts,
                "practitioner": {"role": role, "supervising_physician": supervisor},
                "device": device_facts,
                "zones": [{"zone": z, "depth_mm": float(d), "passes": p}
                          for z, d, p in zones],
                "previous_sessions": [d.isoformat() for d in previous if d < on],
                "settings": {"isotretinoin_washout_months": washout},
            }))
        return self._get(key, ask)

    def numbing(self, product: str, amount_g: float, area_cm2: float, *, adult: bool,
                exclusions: tuple[str, ...]) -> rules.Decision:
        key = ("numbing", product, amount_g, area_cm2, adult, exclusions)
        return self._get(key, lambda: rules.check_numbing(
            product, amount_g, area_cm2, False, adult=adult, exclusions=exclusions))
