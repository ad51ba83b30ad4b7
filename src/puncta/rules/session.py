"""The full check of a session proposal: every rule, every finding at once."""

from __future__ import annotations

from .course import protocol_for
from .data import RULES_VERSION, rules_data
from .dates import age_on
from .depth import check_depths
from .device import check_device, check_labelling
from .findings import fmt, make, verdict_of
from .interval import check_interval
from .jurisdictions import jurisdiction
from .layers import beyond_dermis, layer_reached
from .model import Finding, Proposal, RulesInputError, SessionDecision, ZoneResult
from .recovery import downtime
from .screening import numbing_status, screening_findings
from .supervision import check_supervision
from .zones import zone_label


def check_session(proposal: Proposal) -> SessionDecision:
    p = proposal
    jur = jurisdiction(p.jurisdiction)
    protocol_for(p.indication)  # malformed input raises, naming the field
    if p.practitioner.role not in rules_data().roles:
        raise RulesInputError("practitioner.role", f"unknown role {p.practitioner.role!r}")
    if not p.zones:
        raise RulesInputError("zones", "must list at least one zone")
    for i, zt in enumerate(p.zones):
        if zt.zone.base not in rules_data().zones:
            raise RulesInputError(f"zones[{i}].zone", f"unknown zone {zt.zone.code!r}")
    results = tuple(
        ZoneResult(zt.zone.code, zt.depth_mm, layer_reached(zt.zone, zt.depth_mm)) for zt in p.zones
    )
    findings: list[Finding] = []
    findings += check_supervision(p.practitioner, p.indication, p.zones, results)
    findings += check_depths(p.zones, p.indication)
    findings += check_device(p.device, p.zones, results, jur, p.on)
    screening = screening_findings(
        p.patient, on=p.on, settings=p.settings, zones=[zt.zone for zt in p.zones]
    )
    findings += screening
    findings += check_interval(p.on, p.previous_sessions, p.indication, p.severity)
    findings += check_labelling(
        p.patient, age_on(p.patient.birth_date, p.on), p.zones, p.indication, jur
    )
    if jur.below_dermis_controlled:
        for i, zt in enumerate(p.zones):
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
    max_depth = max(zt.depth_mm for zt in p.zones)
    return SessionDecision(
        verdict=verdict_of(findings),
        findings=tuple(findings),
        rules_version=RULES_VERSION,
        zones=results,
        downtime=downtime(max_depth),
        numbing=numbing_status(screening),
    )
