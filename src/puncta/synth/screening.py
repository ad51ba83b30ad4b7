"""Screening verdicts from the rules engine, cached by answer pattern.

The generator builds intake answers in the questionnaire's real format
(``puncta.patients.intake.answers``), turns them into rules facts with the same function
the app uses, and asks ``puncta.rules.screen``. Most patients share a few answer
patterns, so the decision is cached under a key holding everything the verdict depends
on: the facts without the birth date (only adulthood matters for adults' screening),
and the screening date only when a dated medication or procedure is present.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from puncta import rules
from puncta.patients.intake.answers import to_rules_patient
from puncta.patients.intake.services import RESULT_BY_VERDICT


@dataclass(frozen=True)
class Verdict:
    result: str
    findings: list[dict[str, Any]]
    rules_version: str


@dataclass
class CachedScreener:
    hits: int = 0
    misses: int = 0
    _cache: dict[str, Verdict] = field(default_factory=dict)

    def screen(self, *, birth_date: dt.date, phototype: int | None, answers: dict[str, Any],
               on: dt.date, washout_months: int) -> Verdict:
        facts, origin = to_rules_patient(birth_date=birth_date, phototype=phototype,
                                         answers=answers, on=on)
        age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month,
                                                                  birth_date.day))
        dated = any(m.get("last_dose") for m in facts["medications"]) or bool(
            facts["procedures"])
        key_facts = {k: v for k, v in facts.items() if k != "birth_date"}
        key = json.dumps([key_facts, age if age < 18 else "adult",
                          on.isoformat() if dated else "", washout_months], sort_keys=True)
        found = self._cache.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        settings = rules.settings_from_dict({"isotretinoin_washout_months": washout_months})
        decision = rules.screen(rules.patient_from_dict(facts), on=on, settings=settings)
        findings = []
        for f in decision.findings:
            item = f.to_dict()
            item["question"] = origin.get(f.field, "")
            findings.append(item)
        verdict = Verdict(str(RESULT_BY_VERDICT[decision.verdict]), findings,
                          decision.rules_version)
        self._cache[key] = verdict
        return verdict
