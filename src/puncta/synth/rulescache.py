"""Plan, session and numbing decisions from the rules engine, cached by pattern.

A decision depends on the patient's rules facts (not their birth date, once adult), the
indication, severity and zones, the practitioner's role and whether a physician
supervises, the device model, and the spacing from the previous session. The key holds
exactly those; the date only when a dated medication or procedure is on file (washouts).
The questions are put as the app puts them (``plans.checks.check_plan``,
``scheduling.eligibility.Eligibility``, ``charting.checks._session``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from puncta import facts as records
from puncta import rules
from puncta.patients.intake.answers import to_rules_patient
from puncta.rules.dates import age_on

Zones = tuple[tuple[str, str, int], ...]  # (zone, depth "0.50", passes)


@dataclass
class PatientFacts:
    facts: rules.Patient
    key: Any
    dated: bool


def patient_facts(*, birth_date: dt.date, phototype: int | None,
                  answers: dict[str, Any], on: dt.date) -> PatientFacts:
    facts, _ = to_rules_patient(birth_date=birth_date, phototype=phototype,
                                answers=answers, on=on)
    age = age_on(birth_date, on)
    dated = any(m.last_dose for m in facts.medications) or bool(facts.procedures)
    # The rules' patient is a frozen dataclass: hashable, so it is the key (less the birth
    # date, which matters only through the age while a minor).
    key = (dataclasses.replace(facts, birth_date=dt.date.min), age if age < 18 else "adult")
    return PatientFacts(facts, key, dated)


def _clinic(jurisdiction: str, washout: int) -> Any:
    return SimpleNamespace(jurisdiction=jurisdiction, isotretinoin_washout_months=washout)


@dataclass
class RulesCache:
    hits: int = 0
    misses: int = 0
    _cache: dict[Any, Any] = field(default_factory=dict)
    _devices: dict[str, rules.Device] = field(default_factory=dict)

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
        """As ``plans.checks.check_plan``."""
        key = ("plan", jurisdiction, washout, patient.key, on if patient.dated else None,
               indication, severity, zones)

        def ask() -> rules.SessionDecision:
            return rules.check_plan(records.plan(
                clinic=_clinic(jurisdiction, washout), on=on, indication=indication,
                severity=severity, patient=patient.facts, zones=records.zones(zones)))
        return self._get(key, ask)

    def session(self, *, jurisdiction: str, washout: int, patient: PatientFacts,
                indication: str, severity: str, zones: Zones, on: dt.date, role: str,
                supervisor: rules.Supervisor | None, device: Any,
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
            device_facts = self._devices[device.model_name] = records.device(device, on)

        def ask() -> rules.SessionDecision:
            return rules.check_session(records.session(
                clinic=_clinic(jurisdiction, washout), on=on, indication=indication,
                severity=severity, patient=patient.facts,
                practitioner=records.practitioner(role, supervisor), device=device_facts,
                zones=records.zones(zones),
                previous=records.previous((d, ()) for d in previous if d < on)))
        return self._get(key, ask)

    def numbing(self, product: str, amount_g: float, area_cm2: float, *, adult: bool,
                exclusions: tuple[str, ...]) -> rules.Decision:
        key = ("numbing", product, amount_g, area_cm2, adult, exclusions)
        return self._get(key, lambda: rules.check_numbing(
            product, amount_g, area_cm2, False, adult=adult, exclusions=exclusions))
