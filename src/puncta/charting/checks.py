"""Asking the rules about a chart, with the values actually used.

Everything clinical comes from ``puncta.rules`` (``check_session``, ``check_numbing``); the
gate (screening still valid, consent current) from ``consent.gate.treatment_gate``; the
lot's usability from the devices app's own predicates. This module only translates the
chart into the rules' facts and each finding's ``field`` into the block of the page it
belongs to, so it can be shown next to the field that caused it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from puncta import rules
from puncta.accounts.models import Membership
from puncta.accounts.roles import Role
from puncta.consent.gate import treatment_gate
from puncta.devices.models import CartridgeLot, Device, DeviceKind
from puncta.devices.selectors import device_rules_facts
from puncta.patients.models import Patient
from puncta.plans.checks import patient_facts, settings_for
from puncta.scheduling.eligibility import supervisor_facts

from .forms import TODAY_QUESTIONS, base_zone

SEVERITY_RANK = {"note": 0, "review": 1, "refuse": 2}


@dataclass
class Facts:
    """Who, with what, on whom: resolved from the chart's references."""

    patient: Patient
    on: dt.date
    indication: str
    severity: str
    practitioner: Membership | None
    supervisor: Membership | None
    device: Device | None
    lot: CartridgeLot | None
    lot_number: str
    previous: list[dt.date] = field(default_factory=list)
    patient_facts: dict[str, Any] | None = None  # cached per save


@dataclass
class Evaluation:
    verdict: str
    findings: list[dict[str, Any]]
    rules_version: str
    supervision_required: bool
    max_depth: float | None

    @property
    def cosign_required(self) -> bool:
        return self.supervision_required or self.verdict == "review"


def _finding(code: str, severity: str, message: str, ui: str, *, field_name: str = "",
             rule: str = "", source: str = "") -> dict[str, Any]:
    return {"code": code, "severity": severity, "message": message, "message_fr": message,
            "rule": rule or code, "source": source, "field": field_name or ui, "ui": ui}


def ui_of(field_name: str, zones: list[dict[str, Any]], n_conditions: int,
          n_medications: int = 10**6) -> str:
    """The page block of a rules field: 'zones[2].depth_mm' → 'zone-<third zone>'."""
    if field_name.startswith("zones[") and "]" in field_name:
        try:
            return "zone-" + base_zone(zones[int(field_name[6:field_name.index("]")])]["zone"])
        except (ValueError, IndexError, KeyError):
            return "zones"
    if field_name.startswith("practitioner.supervising_physician"):
        return "supervisor"
    if field_name.startswith("practitioner"):
        return "practitioner"
    if field_name.startswith("device"):
        return "device"
    if field_name.startswith("patient.conditions["):
        try:
            index = int(field_name[len("patient.conditions["):field_name.index("]")])
        except ValueError:
            return "precheck"
        return "today" if index >= n_conditions else "precheck"
    if field_name.startswith("patient.medications["):
        try:
            index = int(field_name[len("patient.medications["):field_name.index("]")])
        except ValueError:
            return "precheck"
        return "today" if index >= n_medications else "precheck"
    if field_name.startswith("patient.pregnant"):
        return "today"
    if field_name.startswith("patient"):
        return "precheck"
    if field_name.startswith(("previous_sessions", "on", "severity", "indication")):
        return "session"
    if field_name.startswith("zones"):
        return "zones"
    return "general"


def rules_patient(facts: Facts, content: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
    """The screened patient plus today's answers (as ordinary condition codes)."""
    if facts.patient_facts is None:
        facts.patient_facts = patient_facts(facts.patient, facts.on)
    p = {**facts.patient_facts,
         "conditions": list(facts.patient_facts.get("conditions", [])),
         "medications": list(facts.patient_facts.get("medications", []))}
    n_conditions, n_medications = len(p["conditions"]), len(p["medications"])
    today = content.get("today", {})
    for key, fact, _label in TODAY_QUESTIONS:
        if not today.get(key):
            continue
        if fact == "pregnant":
            p["pregnant"] = True
        else:
            p["conditions"].append({"code": fact})
    med = today.get("new_medication", "")
    if med and med != "other":
        p["medications"].append({"code": med})  # taking it now
    return p, n_conditions, n_medications


def numbing_exclusions(patient: dict[str, Any]) -> list[str]:
    codes = [c["code"] for c in patient.get("conditions", [])]
    codes += [m["code"] for m in patient.get("medications", []) if not m.get("last_dose")]
    if patient.get("pregnant"):
        codes.append("pregnancy")
    if patient.get("nursing"):
        codes.append("nursing")
    return list(dict.fromkeys(codes))


def _session(facts: Facts, patient: dict[str, Any], zones: list[dict[str, Any]],
             supervisor: Membership | None) -> rules.SessionDecision:
    device = (device_rules_facts(facts.device, facts.on) if facts.device is not None else
              {"intended_use": "professional", "licence": None, "max_depth_mm": None})
    proposal = rules.proposal_from_dict({
        "on": facts.on.isoformat(),
        "jurisdiction": facts.patient.clinic.jurisdiction,
        "indication": facts.indication,
        "severity": facts.severity or None,
        "patient": patient,
        "practitioner": {"role": facts.practitioner.role if facts.practitioner else
                         Role.FRONT_DESK.value,
                         "supervising_physician": supervisor_facts(supervisor)},
        "device": device,
        "zones": [{"zone": z["zone"], "depth_mm": float(z["depth_mm"]),
                   "passes": z.get("passes")} for z in zones],
        "previous_sessions": [d.isoformat() for d in facts.previous if d < facts.on],
        "settings": settings_for(facts.patient),
    })
    return rules.check_session(proposal)


def evaluate(facts: Facts, content: dict[str, Any]) -> Evaluation:
    out: list[dict[str, Any]] = []
    zones = content.get("zones", [])
    for problem in treatment_gate(facts.patient, facts.on):
        out.append(_finding(f"gate.{problem.code}", "refuse", problem.message, "precheck",
                            rule="consent.gate", source="Puncta treatment gate"))
    if not content.get("today", {}).get("answered"):
        out.append(_finding("chart.today_unanswered", "refuse", _(
            "Ask today's questions (cold sore, infection, new medication, pregnancy) and tick "
            "that they were asked."), "today", rule="chart.complete"))
    if facts.practitioner is None:
        out.append(_finding("chart.practitioner_missing", "refuse",
                            _("Choose the practitioner."), "practitioner",
                            rule="chart.complete"))
    if facts.device is None:
        out.append(_finding("chart.device_missing", "refuse", _("Choose the device used."),
                            "device", rule="chart.complete"))
    patient, n_conditions, n_meds = rules_patient(facts, content)
    supervision_required = False
    version = rules.RULES_VERSION
    if not zones:
        out.append(_finding("chart.zones_missing", "refuse", _(
            "Record at least one treated zone with its depth."), "zones",
            rule="chart.complete"))
    elif facts.practitioner is not None:
        try:
            decision = _session(facts, patient, zones, facts.supervisor)
        except rules.RulesInputError as exc:
            out.append(_finding("chart.input", "refuse", exc.message,
                                ui_of(exc.field, zones, n_conditions, n_meds),
                                field_name=exc.field))
        else:
            version = decision.rules_version
            for f in decision.findings:
                item = f.to_dict()
                item["ui"] = ui_of(f.field, zones, n_conditions, n_meds)
                out.append(item)
            if facts.supervisor is None:
                supervision_required = "supervision.required" in decision.codes
            else:
                # Would the rules require supervision without this physician? Ask them.
                alone = _session(facts, patient, zones, None)
                supervision_required = "supervision.required" in alone.codes
    numbing = content.get("numbing", {})
    if numbing.get("used"):
        missing = [k for k in ("product", "amount_g", "area_cm2") if not numbing.get(k)]
        for k in missing:
            out.append(_finding("chart.numbing_incomplete", "refuse", _(
                "Numbing cream was used: record the product, the amount and the area."),
                f"numbing-{k}", rule="chart.complete"))
        if not missing:
            age = facts.on.year - facts.patient.date_of_birth.year - (
                (facts.on.month, facts.on.day) < (facts.patient.date_of_birth.month,
                                                  facts.patient.date_of_birth.day))
            try:
                decision = rules.check_numbing(
                    numbing["product"], float(numbing["amount_g"]), float(numbing["area_cm2"]),
                    bool(numbing.get("occluded")), adult=age >= 18,
                    exclusions=numbing_exclusions(patient))
            except rules.RulesInputError as exc:
                out.append(_finding("chart.input", "refuse", exc.message,
                                    "numbing-" + exc.field.split("[")[0],
                                    field_name=f"numbing.{exc.field}"))
            else:
                for f in decision.findings:
                    item = f.to_dict()
                    name = f.field.split("[")[0]
                    item["field"] = f"numbing.{f.field}"
                    item["ui"] = "numbing-product" if name == "exclusions" else f"numbing-{name}"
                    out.append(item)
    out += lot_findings(facts)
    verdict = "allow"
    worst = max((SEVERITY_RANK.get(f["severity"], 0) for f in out), default=0)
    if worst == 2:
        verdict = "refuse"
    elif worst == 1:
        verdict = "review"
    depths = [float(z["depth_mm"]) for z in zones]
    return Evaluation(verdict, out, version, supervision_required,
                      max(depths) if depths else None)


def lot_findings(facts: Facts) -> list[dict[str, Any]]:
    """The lot as the devices app judges it (``CartridgeLot.expired_on``: usable through
    its expiry date; ``CartridgeProduct.fits``), before the draw at signing."""
    out = []
    if facts.lot is None:
        if facts.lot_number:
            out.append(_finding("lot.unknown", "refuse", _(
                "No cartridge lot %(lot)s was received in this clinic.")
                % {"lot": facts.lot_number}, "lot", rule="chart.lot"))
        elif facts.device is not None and facts.device.kind != DeviceKind.ROLLER:
            out.append(_finding("chart.lot_missing", "refuse", _(
                "Scan or type the cartridge lot number."), "lot", rule="chart.complete"))
        return out
    lot = facts.lot
    if lot.expired_on(facts.on):
        out.append(_finding("lot.expired", "refuse", _("Lot %(lot)s expired on %(date)s.")
                            % {"lot": lot.lot_number, "date": lot.expiry.isoformat()}, "lot",
                            rule="devices.lot"))
    if facts.device is not None and not lot.product.fits(facts.device):
        out.append(_finding("lot.incompatible", "refuse", _(
            "%(product)s cartridges do not fit %(model)s.") % {
            "product": lot.product, "model": facts.device.model_name}, "lot",
            rule="devices.lot"))
    if lot.quantity_left <= 0:
        out.append(_finding("lot.empty", "refuse", _("Lot %(lot)s has no cartridges left.")
                            % {"lot": lot.lot_number}, "lot", rule="devices.lot"))
    return out
