"""Screening verdicts from the rules engine, cached by answer pattern.

The generator builds intake answers in the questionnaire's real format
(``puncta.patients.intake.answers``), turns them into rules facts with the same function
the app uses, and asks ``patients.intake.services.screening_verdict`` (what
``screening_run`` stores). Most patients share a few answer patterns, so the verdict is
cached under a key holding everything it depends on: the facts without the birth date
(only adulthood matters for adults' screening), the clinic's jurisdiction and settings,
and the screening date only when a dated medication or procedure is present.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from puncta import facts as records
from puncta.patients.intake.answers import to_rules_patient
from puncta.patients.intake.services import screening_verdict
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
               on: dt.date, clinic: Any) -> Verdict:
        subject, origin = to_rules_patient(birth_date=birth_date, phototype=phototype,
                                           answers=answers, on=on)
        age = age_on(birth_date, on)
        dated = any(m.last_dose for m in subject.medications) or bool(subject.procedures)
        key = (dataclasses.replace(subject, birth_date=dt.date.min),
               age if age < 18 else "adult", on if dated else None, clinic.jurisdiction,
               records.settings(clinic))
        found = self._cache.get(key)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        verdict = Verdict(*screening_verdict(subject, origin, on=on, clinic=clinic))
        self._cache[key] = verdict
        return verdict
