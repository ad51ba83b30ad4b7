"""Screening: contraindications (absolute refuse, relative review), time windows, "in the
area" matching, numbing-cream exclusions, and age."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from .data import Contra, rules_data
from .dates import add_months, age_on
from .findings import decide, make
from .jurisdictions import jurisdiction as jurisdiction_pack
from .model import (
    DEFAULT_SETTINGS,
    Decision,
    Finding,
    NumbingStatus,
    Patient,
    RulesInputError,
    Settings,
    ZoneRef,
)

_DEFAULT_CONSENT_AGE = 18  # without a jurisdiction: the engine's behaviour before packs


def _age_findings(age: int, code: str | None) -> list[Finding]:
    """A minor needs a guardian's consent and review (below the pack's consent age); where
    the law also asks a court's authorization (Quebec under 14), the rules refuse."""
    pack = jurisdiction_pack(code) if code is not None else None
    out: list[Finding] = []
    court = pack.court_authorization_below if pack is not None else None
    if pack is not None and court is not None and age < court:
        out.append(
            make(
                "age.court_authorization",
                "patient.birth_date",
                age=age,
                min_age=court,
                note=pack.court_authorization_note_en,
                note_fr=pack.court_authorization_note_fr,
                source=pack.court_authorization_source,
            )
        )
    minor_below = pack.consent_age if pack is not None else _DEFAULT_CONSENT_AGE
    if age < minor_below:
        out.append(
            make(
                "age.minor",
                "patient.birth_date",
                age=age,
                consent_age=minor_below,
                source=pack.consent_age_source if pack is not None else None,
            )
        )
    return out


def _in_area(row: Contra, zone: ZoneRef | None, treated: Sequence[ZoneRef] | None) -> bool:
    # Systemic rows, rows recorded without a zone, and screening before zones are chosen
    # (treated is None) all apply: conservative.
    if row.scope != "area" or zone is None or treated is None:
        return True
    return any(zone.overlaps(t) for t in treated)


def _within(row: Contra, when: date | None, on: date) -> bool:
    if when is None:
        return True  # undated: assume recent (conservative)
    if row.within_months is not None:
        return when >= add_months(on, -row.within_months)
    if row.within_days is not None:
        return when >= on - timedelta(days=row.within_days)
    return True


def _row(code: str, category: str, field: str) -> Contra:
    row = rules_data().contras.get(code)
    if row is None or row.category != category:
        raise RulesInputError(field, f"unknown {category} code {code!r}")
    return row


def _emit(row: Contra, field: str, out: list[Finding]) -> None:
    if row.kind in ("absolute", "relative"):
        out.append(
            make(
                f"contraindication.{row.kind}",
                field,
                code=f"contraindication.{row.code}",
                label=row.en,
                label_fr=row.fr,
                source=row.source,
            )
        )
    if row.numbing:
        out.append(
            make(
                "numbing.excluded",
                field,
                code=f"numbing.{row.code}",
                label=row.en,
                label_fr=row.fr,
                source=row.source,
            )
        )


def screening_findings(
    patient: Patient,
    *,
    on: date,
    settings: Settings = DEFAULT_SETTINGS,
    zones: Sequence[ZoneRef] | None = None,
    jurisdiction: str | None = None,
) -> list[Finding]:
    contras = rules_data().contras
    out: list[Finding] = []
    if patient.birth_date > on:
        raise RulesInputError("patient.birth_date", "must not be after the session date")
    age = age_on(patient.birth_date, on)
    out += _age_findings(age, jurisdiction)

    seen: set[str] = set()
    if patient.pregnant:
        _emit(contras["pregnancy"], "patient.pregnant", out)
        seen.add("pregnancy")
    if patient.nursing:
        _emit(contras["nursing"], "patient.nursing", out)
        seen.add("nursing")

    for i, c in enumerate(patient.conditions):
        row = _row(c.code, "condition", f"patient.conditions[{i}].code")
        if c.code in seen or not _in_area(row, c.zone, zones) or not _within(row, c.onset, on):
            continue
        _emit(row, f"patient.conditions[{i}]", out)

    for i, m in enumerate(patient.medications):
        row = _row(m.code, "medication", f"patient.medications[{i}].code")
        field = f"patient.medications[{i}]"
        # No last dose, or a dose in the future, means currently taking.
        active_days = row.active_within_days or 0
        if m.last_dose is None or m.last_dose >= on - timedelta(days=active_days):
            _emit(row, field, out)
        elif row.washout_setting is not None:
            months = int(getattr(settings, row.washout_setting))
            if m.last_dose >= add_months(on, -months):
                out.append(
                    make(
                        "contraindication.washout",
                        field,
                        code=f"contraindication.{row.code}",
                        label=row.en,
                        label_fr=row.fr,
                        last_dose=m.last_dose.isoformat(),
                        months=months,
                        source=row.source,
                    )
                )

    for i, p in enumerate(patient.procedures):
        row = _row(p.code, "procedure", f"patient.procedures[{i}].code")
        if p.on > on:
            continue  # planned, not yet done: not a contraindication today
        if _in_area(row, p.zone, zones) and _within(row, p.on, on):
            _emit(row, f"patient.procedures[{i}]", out)
    return out


def numbing_status(findings: Sequence[Finding]) -> NumbingStatus:
    reasons = tuple(f.code for f in findings if f.code.startswith("numbing."))
    return NumbingStatus(allowed=not reasons, reasons=reasons)


def screen(
    patient: Patient,
    *,
    on: date,
    settings: Settings = DEFAULT_SETTINGS,
    zones: Sequence[ZoneRef] | None = None,
    jurisdiction: str | None = None,
) -> Decision:
    """Screen a patient on a date. Without `zones`, area-bound rows apply everywhere.

    With `jurisdiction`, a minor is below that jurisdiction's consent age (else 18).
    """
    return decide(
        screening_findings(
            patient, on=on, settings=settings, zones=zones, jurisdiction=jurisdiction
        )
    )
