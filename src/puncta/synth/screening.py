"""Screening verdicts from the rules engine, cached by answer pattern.

The generator builds intake answers in the questionnaire's real format
(``puncta.patients.intake.answers``), turns them into rules facts with the same function
the app uses, and asks ``puncta.rules.screen``. Most patients share a few answer
patterns, so the decision is cached under a key holding everything the verdict depends
on: the facts without the birth date (only adulthood matters for adults' screening),
and the screening date only when a dated medication or procedure is present.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from puncta import rules
from puncta.patients.intake.answers import to_rules_patient
from puncta.patients.intake.services import RESULT_BY_VERDICT
from puncta.rules.dates import age_on


@dataclass(frozen=True)
class Verdict:
    result: str
    findings: list[dict[str, Any]]
    rules_version: str


@dataclass
class CachedScreener:
    hits: int = 0
    misses: int = 0
    _cache: dict[Any, Verdict] = field(default_factory=dict)

    def screen(self, *, birth_date: dt.date, phototype: int | None, answers: dict[str, Any],
               on: dt.date, washout_months: int) -> Verdict:
        facts, origin = to_rules_patient(birth_date=birth_date, phototype=phototype,
                                         answers=answers, on=on)
        age = age_on(birth_date, on)
        dated = any(m.last_dose for m in facts.medications) or bool(facts.procedures)
        key = (dataclasses.replace(facts, birth_date=dt.date.min),
               age if age < 18 else "adult", on if dated else None, washout_months)
        found = self._cache.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        settings = rules.Settings(isotretinoin_washout_months=washout_months)
        decision = rules.screen(facts, on=on, settings=settings)
        findings = []
        for f in decision.findings:
            item = f.to_dict()
            item["question"] = origin.get(f.field, "")
            findings.append(item)
        verdict = Verdict(str(RESULT_BY_VERDICT[decision.verdict]), findings,
                          decision.rules_version)
        self._cache[key] = verdict
        return verdict
