"""Records → rules: the one door through which the clinic's records reach `puncta.rules`.

Every app (intake screening, plans, scheduling eligibility, devices, charting, the seed)
turns its records into the rules' frozen dataclasses here, for a clinic-local date the
caller passes in (from `puncta.clinics.clock`). Nothing goes through the rules' JSON
parser except JSON: that parser exists for `puncta rules check` and the API's raw input.

This module knows the rules and the *shape* of the records (attributes read by duck
typing, see the Protocols below), never the Django models themselves, so every app may
import it whatever its place in the layer order (import-linter: just above the rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from puncta import rules
from puncta.rules.zones import parse_zone

# --- the shapes read from records -------------------------------------------------------


class ClinicLike(Protocol):
    jurisdiction: str
    isotretinoin_washout_months: int


class LicenceLike(Protocol):
    authority: str
    number: str
    device_class: int
    first_date: dt.date | None
    end_date: dt.date | None

    def active_on(self, on: dt.date) -> bool: ...


class DeviceLike(Protocol):
    intended_use: str
    max_depth_mm: Decimal | float

    @property
    def licence(self) -> LicenceLike | None: ...


# --- clinic, patient -----------------------------------------------------------------------


def settings(clinic: ClinicLike) -> rules.Settings:
    return rules.Settings(isotretinoin_washout_months=clinic.isotretinoin_washout_months)


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value)
    return None


def patient(
    *,
    birth_date: dt.date,
    phototype: int | None,
    answers: Mapping[str, Any],
    on: dt.date,
    question_codes: Mapping[str, tuple[str, str]],
) -> tuple[rules.Patient, dict[str, str]]:
    """The rules' patient from the intake answers, and which question each rules field came
    from (so ``patient.conditions[2]`` is shown next to its question).

    ``question_codes`` maps a question's id to (kind, rules code) — the questionnaire's own
    definition of which answer is which clinical fact. Answers follow the intake schema
    (``patients.intake.answers``): conditions ``{"present", "zone"}``, medications
    ``{"status": no|current|past, "last_dose"}``, procedures ``{"zones", "on"}``.
    """
    conditions: list[rules.Condition] = []
    medications: list[rules.Medication] = []
    procedures: list[rules.Procedure] = []
    origin = {"patient.pregnant": "pregnant", "patient.nursing": "nursing",
              "patient.birth_date": "", "patient.phototype": "phototype"}
    for link_id, (kind, code) in question_codes.items():
        a = answers.get(link_id)
        if not code or not isinstance(a, dict):
            continue
        if kind == "condition" and a.get("present"):
            zone = parse_zone(a["zone"]) if a.get("zone") else None
            origin[f"patient.conditions[{len(conditions)}]"] = link_id
            conditions.append(rules.Condition(code, zone=zone))
        elif kind == "medication" and a.get("status") in {"current", "past"}:
            last = _date(a.get("last_dose")) if a["status"] == "past" else None
            origin[f"patient.medications[{len(medications)}]"] = link_id
            medications.append(rules.Medication(code, last_dose=last))
        elif kind == "procedure" and (a.get("on") or a.get("zones")):
            # An undated procedure counts as recent (dated today): the conservative reading.
            when = _date(a.get("on")) or on
            for zone in a.get("zones") or [None]:
                origin[f"patient.procedures[{len(procedures)}]"] = link_id
                procedures.append(rules.Procedure(
                    code, on=when, zone=parse_zone(zone) if zone else None))
    return rules.Patient(
        birth_date=birth_date,
        phototype=answers.get("phototype") or phototype,
        pregnant=bool(answers.get("pregnant")),
        nursing=bool(answers.get("nursing")),
        conditions=tuple(conditions),
        medications=tuple(medications),
        procedures=tuple(procedures),
    ), origin


def with_today(
    base: rules.Patient,
    *,
    conditions: Iterable[str] = (),
    pregnant: bool = False,
    medications: Iterable[str] = (),
) -> rules.Patient:
    """The screened patient plus what they said at the chair today (ordinary codes, as
    current facts: a medication started is one being taken)."""
    return rules.Patient(
        birth_date=base.birth_date,
        phototype=base.phototype,
        pregnant=base.pregnant or pregnant,
        nursing=base.nursing,
        conditions=base.conditions + tuple(rules.Condition(c) for c in conditions),
        medications=base.medications + tuple(rules.Medication(m) for m in medications),
        procedures=base.procedures,
    )


def numbing_exclusions(p: rules.Patient) -> list[str]:
    """The codes the numbing check is asked about: every condition, every medication taken
    now, pregnancy and nursing."""
    codes = [c.code for c in p.conditions]
    codes += [m.code for m in p.medications if m.last_dose is None]
    if p.pregnant:
        codes.append("pregnancy")
    if p.nursing:
        codes.append("nursing")
    return list(dict.fromkeys(codes))


# --- devices, people ------------------------------------------------------------------------


def licence(lic: LicenceLike | None, on: dt.date) -> rules.Licence | None:
    """The registry's status code is not a verdict: activity is decided by the first
    licence date and the end date, so ``status`` is what those dates say on ``on``."""
    if lic is None:
        return None
    return rules.Licence(
        authority=lic.authority,
        number=lic.number,
        device_class=lic.device_class,
        status="active" if lic.active_on(on) else "inactive",
        first_date=lic.first_date,
        end_date=lic.end_date,
    )


NO_DEVICE = rules.Device(intended_use="professional")


def device(dev: DeviceLike | None, on: dt.date) -> rules.Device:
    if dev is None:
        return NO_DEVICE
    return rules.Device(
        intended_use="consumer" if dev.intended_use == "consumer" else "professional",
        licence=licence(dev.licence, on),
        max_depth_mm=float(dev.max_depth_mm),
    )


def licence_state(dev: DeviceLike, jurisdiction: str, on: dt.date) -> rules.LicenceState:
    return rules.licence_state(device(dev, on), jurisdiction, on)


def supervisor(
    membership: Any | None,
    *,
    on_shift: bool | None = None,
    on_site: bool | None = None,
    site_required: bool = False,
    attested: bool | None = None,
) -> rules.Supervisor | None:
    """The supervising physician as the rules see them: who, and the facts of their
    presence the clinic recorded (``None``: not known at this step)."""
    if membership is None:
        return None
    return rules.Supervisor(id=membership.pk, name=str(membership.user), role=membership.role,
                            on_shift=on_shift, on_site=on_site, site_required=site_required,
                            attested=attested)


def practitioner(role: str, sup: rules.Supervisor | None = None) -> rules.Practitioner:
    return rules.Practitioner(role=role, supervising_physician=sup)


# --- sessions, plans ----------------------------------------------------------------------------


def zones(rows: Iterable[tuple[str, Decimal | float | str, int | None]]) -> tuple[
        rules.ZoneTreatment, ...]:
    """(zone code, depth mm, passes) rows → the rules' zone treatments."""
    return tuple(
        rules.ZoneTreatment(zone=parse_zone(z, f"zones[{i}].zone"), depth_mm=float(d),
                            passes=p)
        for i, (z, d, p) in enumerate(rows)
    )


def previous(rows: Iterable[tuple[dt.date, Iterable[str]]]) -> tuple[
        rules.PreviousSession, ...]:
    """(date, zone codes) of sessions already done → the rules' previous sessions."""
    return tuple(
        rules.PreviousSession(on=d, zones=tuple(parse_zone(z) for z in zs)) for d, zs in rows
    )


def restrictions(
    *,
    earliest_start: dt.date | None = None,
    max_depth_mm: Decimal | float | None = None,
    avoid_zones: Iterable[str] = (),
    note: str = "",
) -> rules.Restrictions:
    return rules.Restrictions(
        earliest_start=earliest_start,
        max_depth_mm=None if max_depth_mm is None else float(max_depth_mm),
        avoid_zones=tuple(parse_zone(z) for z in avoid_zones),
        note=note,
    )


def session(
    *,
    clinic: ClinicLike,
    on: dt.date,
    indication: str,
    severity: str | None,
    patient: rules.Patient,
    practitioner: rules.Practitioner,
    device: rules.Device,
    zones: tuple[rules.ZoneTreatment, ...],
    previous: tuple[rules.PreviousSession, ...] = (),
    restrictions: rules.Restrictions = rules.NO_RESTRICTIONS,
) -> rules.Proposal:
    return rules.Proposal(
        on=on, jurisdiction=clinic.jurisdiction, indication=indication, severity=severity or None,
        patient=patient, practitioner=practitioner, device=device, zones=zones,
        previous_sessions=tuple(p for p in previous if p.on <= on),
        settings=settings(clinic), restrictions=restrictions,
    )


def plan(
    *,
    clinic: ClinicLike,
    on: dt.date,
    indication: str,
    severity: str | None,
    patient: rules.Patient,
    zones: tuple[rules.ZoneTreatment, ...],
    previous: tuple[rules.PreviousSession, ...] = (),
    restrictions: rules.Restrictions = rules.NO_RESTRICTIONS,
) -> rules.PlanProposal:
    return rules.PlanProposal(
        on=on, jurisdiction=clinic.jurisdiction, indication=indication, severity=severity or None,
        patient=patient, zones=zones, settings=settings(clinic), restrictions=restrictions,
        previous_sessions=tuple(p for p in previous if p.on <= on),
    )


class ScreeningLike(Protocol):
    restrict_earliest_start: dt.date | None
    restrict_max_depth_mm: Decimal | None
    restrict_avoid_zones: list[str]


def screening_restrictions(screening: ScreeningLike | None) -> rules.Restrictions:
    """The physician's structured conditions on the screening that lets the patient be
    treated (none when there is no screening or no conditions)."""
    if screening is None:
        return rules.NO_RESTRICTIONS
    return restrictions(earliest_start=screening.restrict_earliest_start,
                        max_depth_mm=screening.restrict_max_depth_mm,
                        avoid_zones=screening.restrict_avoid_zones or ())
