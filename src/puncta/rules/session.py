"""The full check of a session proposal: every rule, every finding at once."""

from __future__ import annotations

from datetime import date

from .course import protocol_for
from .data import RULES_VERSION, rules_data
from .dates import age_on
from .depth import check_depths
from .device import check_device, check_labelling
from .findings import fmt, make, verdict_of
from .interval import check_interval
from .jurisdictions import jurisdiction
from .layers import beyond_dermis, layer_reached
from .model import (
    Finding,
    Patient,
    PlanProposal,
    PreviousSession,
    Proposal,
    Restrictions,
    RulesInputError,
    SessionDecision,
    Settings,
    ZoneResult,
    ZoneTreatment,
)
from .recovery import downtime
from .restrictions import check_restrictions
from .screening import numbing_status, screening_findings
from .supervision import check_supervision
from .zones import zone_label


def _validate(role: str | None, indication: str, zones: tuple[ZoneTreatment, ...]) -> None:
    protocol_for(indication)  # malformed input raises, naming the field
    if role is not None and role not in rules_data().roles:
        raise RulesInputError("practitioner.role", f"unknown role {role!r}")
    if not zones:
        raise RulesInputError("zones", "must list at least one zone")
    for i, zt in enumerate(zones):
        if zt.zone.base not in rules_data().zones:
            raise RulesInputError(f"zones[{i}].zone", f"unknown zone {zt.zone.code!r}")


def check_session(proposal: Proposal) -> SessionDecision:
    """Everything about one session: who, with what, on whom, where, when."""
    p = proposal
    jur = jurisdiction(p.jurisdiction)
    _validate(p.practitioner.role, p.indication, p.zones)
    results = _results(p.zones)
    findings: list[Finding] = []
    findings += check_supervision(p.practitioner, p.indication, p.zones, results)
    findings += check_depths(p.zones, p.indication)
    findings += check_device(p.device, p.zones, results, jur, p.on)
    findings += _common(p.on, p.jurisdiction, p.indication, p.severity, p.patient, p.zones,
                        p.previous_sessions, p.settings, p.restrictions)
    return _decision(findings, results, p.zones)


def check_plan(plan: PlanProposal) -> SessionDecision:
    """A plan as a whole: the patient, the indication, the zones and depths, the
    physician's screening conditions. Who performs it and with which device are asked at
    booking and charting (``check_session``), so no practitioner or licence is invented."""
    p = plan
    _validate(None, p.indication, p.zones)
    results = _results(p.zones)
    findings = check_depths(p.zones, p.indication)
    findings += _common(p.on, p.jurisdiction, p.indication, p.severity, p.patient, p.zones,
                        p.previous_sessions, p.settings, p.restrictions)
    return _decision(findings, results, p.zones)


def _results(zones: tuple[ZoneTreatment, ...]) -> tuple[ZoneResult, ...]:
    return tuple(
        ZoneResult(zt.zone.code, zt.depth_mm, layer_reached(zt.zone, zt.depth_mm)) for zt in zones
    )


def _decision(findings: list[Finding], results: tuple[ZoneResult, ...],
              zones: tuple[ZoneTreatment, ...]) -> SessionDecision:
    max_depth = max(zt.depth_mm for zt in zones)
    return SessionDecision(
        verdict=verdict_of(findings),
        findings=tuple(findings),
        rules_version=RULES_VERSION,
        zones=results,
        downtime=downtime(max_depth),
        numbing=numbing_status(findings),
    )


def _common(
    on: date,
    jurisdiction_code: str,
    indication: str,
    severity: str | None,
    patient: Patient,
    zones: tuple[ZoneTreatment, ...],
    previous: tuple[PreviousSession, ...],
    settings: Settings,
    restrictions: Restrictions,
) -> list[Finding]:
    """The findings a plan and a session share (after the depth check): screening,
    spacing, labelling, jurisdiction scope and the physician's screening conditions."""
    jur = jurisdiction(jurisdiction_code)
    findings: list[Finding] = []
    findings += screening_findings(patient, on=on, settings=settings,
                                   zones=[zt.zone for zt in zones],
                                   jurisdiction=jurisdiction_code)
    findings += check_interval(on, previous, indication, severity, [zt.zone for zt in zones])
    findings += check_labelling(patient, age_on(patient.birth_date, on), zones, indication, jur)
    findings += check_restrictions(restrictions, on, zones)
    if jur.below_dermis_controlled:
        for i, zt in enumerate(zones):
            if beyond_dermis(zt.zone, zt.depth_mm):
                t = rules_data().zones[zt.zone.base].thickness
                findings.append(
                    make(
                        "jurisdiction.below_dermis",
                        f"zones[{i}].depth_mm",
                        zone=zone_label(zt.zone),
                        zone_fr=zone_label(zt.zone, "fr"),
                        depth=fmt(zt.depth_mm),
                        dermis=fmt(t.epidermis_mm + t.dermis_mm),
                        note=jur.note_en,
                        note_fr=jur.note_fr,
                        source=f"{jur.source}; {t.source}",
                    )
                )
    return findings
