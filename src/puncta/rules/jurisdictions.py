"""Jurisdiction packs: `CA-ON` falls back to `CA`; an unknown country is malformed.

Also who may consent for a minor and from what age, and the age of majority, per
jurisdiction (jurisdictions.toml): the consent gate and charting ask here, never a literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .data import GuardianRole, Jurisdiction, rules_data
from .dates import age_on
from .model import RulesInputError

_CODE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")


def jurisdiction(code: object, field: str = "jurisdiction") -> Jurisdiction:
    if not isinstance(code, str) or not _CODE.match(code):
        raise RulesInputError(field, "must be a code like 'CA', 'CA-ON' or 'US'")
    packs = rules_data().jurisdictions
    if code in packs:
        return packs[code]
    country = code.split("-")[0]
    if country in packs:
        return packs[country]
    raise RulesInputError(field, f"unknown jurisdiction {code!r} (known: {', '.join(packs)})")


@dataclass(frozen=True, slots=True)
class ConsentAge:
    """Below `age`, a guardian (one of `guardian_roles`) consents to an elective cosmetic
    procedure; from `minor_own_consent_age` (if set) the minor's own consent is recorded
    too; below `court_authorization_below` (if set) a court must also authorize, so the
    rules refuse. `jurisdiction` is the pack that answered (after fallback)."""

    jurisdiction: str
    age: int
    guardian_roles: tuple[GuardianRole, ...]
    minor_own_consent_age: int | None
    court_authorization_below: int | None
    note_en: str
    note_fr: str
    source: str

    def note(self, lang: str) -> str:
        return self.note_fr if lang.startswith("fr") else self.note_en


@dataclass(frozen=True, slots=True)
class AgeOfMajority:
    jurisdiction: str
    age: int
    source: str


def consent_age(code: object, field: str = "jurisdiction") -> ConsentAge:
    """The age of consent to an elective cosmetic procedure, and who consents below it."""
    j = jurisdiction(code, field)
    roles = rules_data().guardian_roles
    return ConsentAge(
        jurisdiction=j.code,
        age=j.consent_age,
        guardian_roles=tuple(roles[r] for r in j.guardian_roles),
        minor_own_consent_age=j.minor_own_consent_age,
        court_authorization_below=j.court_authorization_below,
        note_en=j.consent_age_note_en,
        note_fr=j.consent_age_note_fr,
        source=j.consent_age_source,
    )


def age_of_majority(code: object, field: str = "jurisdiction") -> AgeOfMajority:
    j = jurisdiction(code, field)
    return AgeOfMajority(j.code, j.age_of_majority, j.age_of_majority_source)


def _age(birth_date: date, on: date) -> int:
    if birth_date > on:
        raise RulesInputError("birth_date", "must not be after the date")
    return age_on(birth_date, on)


def guardian_required(birth_date: date, on: date, jurisdiction_code: str) -> bool:
    """True when a parent or guardian must consent for this patient on this date (the
    same argument order as `is_adult`, which answers legal adulthood)."""
    return _age(birth_date, on) < consent_age(jurisdiction_code).age


def guardian_role(code: object, role: object) -> GuardianRole:
    """A guardian role the jurisdiction accepts; anything else is malformed input."""
    allowed = consent_age(code).guardian_roles
    for r in allowed:
        if r.code == role:
            return r
    raise RulesInputError(
        "guardian_role", f"must be one of: {', '.join(r.code for r in allowed)}"
    )


def min_device_class(code: str) -> int:
    """The lowest device class licensed for medical microneedling in the jurisdiction."""
    return jurisdiction(code).min_device_class
