"""Asking the rules about a chart, with the values actually used.

Everything clinical comes from ``puncta.rules`` (``check_session``, ``check_numbing``); the
gate (screening still valid, consent current) from ``consent.gate.treatment_gate``; the
lot's usability from the devices app's own predicates. This module only translates the
chart into the rules' facts and each finding's ``field`` into the block of the page it
belongs to, so it can be shown next to the field that caused it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from puncta import facts as records
from puncta import rules
from puncta.accounts.models import Membership
from puncta.consent.gate import treatment_gate
from puncta.consent.selectors import ConsentStatus, consent_statuses
from puncta.devices.models import CartridgeLot, Device, DeviceKind
from puncta.patients.intake.selectors import screening_current
from puncta.patients.models import Patient
from puncta.plans.checks import patient_facts, restrictions_for

from .forms import TODAY_QUESTIONS, base_zone


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
    previous: tuple[rules.PreviousSession, ...] = ()
    # The supervising physician's presence as recorded: on shift at the session's time
    # (None: unknown), on site, and their own attestation.
    supervisor_on_shift: bool | None = None
    supervisor_on_site: bool | None = None
    supervisor_attested: bool = False
    patient_facts: rules.Patient | None = None  # cached per save
    restrictions: rules.Restrictions | None = None


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


def _finding(code: str, severity: str, message: Any, ui: str, *, field_name: str = "",
             rule: str = "", source: str = "", params: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    """A finding of the chart's own (not clinical) checks, in both languages: ``message``
    is a lazy translatable string rendered in English and in French (``params`` applied
    after translation)."""
    with translation.override("en"):
        en = str(message) % params if params else str(message)
    with translation.override("fr"):
        fr = str(message) % params if params else str(message)
    return {"code": code, "severity": severity, "message": en, "message_fr": fr,
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


def rules_patient(facts: Facts, content: dict[str, Any]) -> tuple[rules.Patient, int, int]:
    """The screened patient plus today's answers (as ordinary condition codes)."""
    if facts.patient_facts is None:
        facts.patient_facts = patient_facts(facts.patient, facts.on)
    base = facts.patient_facts
    today = content.get("today", {})
    conditions = [fact for key, fact, _label in TODAY_QUESTIONS
                  if today.get(key) and fact != "pregnant"]
    pregnant = any(today.get(key) for key, fact, _l in TODAY_QUESTIONS if fact == "pregnant")
    med = today.get("new_medication", "")
    subject = records.with_today(base, conditions=conditions, pregnant=pregnant,
                                 medications=[med] if med and med != "other" else [])
    return subject, len(base.conditions), len(base.medications)


def _session(facts: Facts, patient: rules.Patient, zones: list[dict[str, Any]],
             supervisor: Membership | None) -> rules.SessionDecision:
    clinic = facts.patient.clinic
    if facts.restrictions is None:
        facts.restrictions = restrictions_for(facts.patient)
    sup = records.supervisor(
        supervisor, on_shift=facts.supervisor_on_shift, on_site=facts.supervisor_on_site,
        site_required=clinic.supervision_on_site, attested=facts.supervisor_attested)
    return rules.check_session(records.session(
        clinic=clinic, on=facts.on, indication=facts.indication, severity=facts.severity,
        patient=patient,
        practitioner=records.practitioner(
            facts.practitioner.role if facts.practitioner else "front_desk", sup),
        device=records.device(facts.device, facts.on),
        zones=records.zones((z["zone"], z["depth_mm"], z.get("passes")) for z in zones),
        previous=facts.previous, restrictions=facts.restrictions,
    ))


def evaluate(facts: Facts, content: dict[str, Any]) -> Evaluation:
    out: list[dict[str, Any]] = []
    zones = content.get("zones", [])
    statuses = consent_statuses(facts.patient)
    # The current screening, read once: the gate checks it, the rules take its conditions.
    screening = screening_current(facts.patient)
    if facts.restrictions is None:
        facts.restrictions = records.screening_restrictions(screening)
    for problem in treatment_gate(facts.patient, facts.on, screening=screening,
                                  statuses=statuses):
        out.append(_finding(f"gate.{problem.code}", "refuse", problem.text, "precheck",
                            rule="consent.gate", source="Puncta treatment gate",
                            params=dict(problem.params) or None))
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
            out += session_findings(decision, zones, n_conditions, n_meds)
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
            try:
                decision = rules.check_numbing(
                    numbing["product"], float(numbing["amount_g"]), float(numbing["area_cm2"]),
                    bool(numbing.get("occluded")),
                    adult=rules.is_adult(facts.patient.date_of_birth, facts.on,
                                         facts.patient.clinic.jurisdiction),
                    exclusions=records.numbing_exclusions(patient))
            except rules.RulesInputError as exc:
                out.append(_finding("chart.input", "refuse", exc.message,
                                    "numbing-" + exc.field.split("[")[0],
                                    field_name=f"numbing.{exc.field}"))
            else:
                out += numbing_findings(decision)
    out += lot_findings(facts)
    out += consent_findings(content, statuses)
    verdict = rules.verdict_of_severities(f["severity"] for f in out)
    depths = [float(z["depth_mm"]) for z in zones]
    return Evaluation(verdict, out, version, supervision_required,
                      max(depths) if depths else None)


def session_findings(decision: rules.SessionDecision, zones: list[dict[str, Any]],
                     n_conditions: int, n_medications: int) -> list[dict[str, Any]]:
    """The rules' session findings as a chart stores them: each with its page block."""
    out = []
    for f in decision.findings:
        item = f.to_dict()
        item["ui"] = ui_of(f.field, zones, n_conditions, n_medications)
        out.append(item)
    return out


def numbing_findings(decision: rules.Decision) -> list[dict[str, Any]]:
    """The rules' numbing findings as a chart stores them (fields under ``numbing.``)."""
    out = []
    for f in decision.findings:
        item = f.to_dict()
        name = f.field.split("[")[0]
        item["field"] = f"numbing.{f.field}"
        item["ui"] = "numbing-product" if name == "exclusions" else f"numbing-{name}"
        out.append(item)
    return out


def lot_findings(facts: Facts) -> list[dict[str, Any]]:
    """The lot as the devices app judges it (``CartridgeLot.expired_on``: usable through
    its expiry date; ``CartridgeProduct.fits``), before the draw at signing."""
    out = []
    if facts.lot is None:
        if facts.lot_number:
            out.append(_finding("lot.unknown", "refuse", _(
                "No cartridge lot %(lot)s was received in this clinic."), "lot",
                rule="chart.lot", params={"lot": facts.lot_number}))
        elif facts.device is not None and facts.device.kind != DeviceKind.ROLLER:
            out.append(_finding("chart.lot_missing", "refuse", _(
                "Scan or type the cartridge lot number."), "lot", rule="chart.complete"))
        return out
    lot = facts.lot
    if lot.expired_on(facts.on):
        out.append(_finding("lot.expired", "refuse", _("Lot %(lot)s expired on %(date)s."),
                            "lot", rule="devices.lot",
                            params={"lot": lot.lot_number, "date": lot.expiry.isoformat()}))
    if facts.device is not None and not lot.product.fits(facts.device):
        out.append(_finding("lot.incompatible", "refuse", _(
            "%(product)s cartridges do not fit %(model)s."), "lot", rule="devices.lot",
            params={"product": lot.product, "model": facts.device.model_name}))
    if lot.quantity_left <= 0:
        out.append(_finding("lot.empty", "refuse", _("Lot %(lot)s has no cartridges left."),
                            "lot", rule="devices.lot", params={"lot": lot.lot_number}))
    return out


# What a chart records → the consent it needs on file (the microneedling consent itself is
# the treatment gate's). A documented reason turns the refusal into a physician's review.
CONSENT_NEEDED = (
    ("numbing", "numbing", "numbing-product",
     _("Numbing cream is charted but no current consent to topical anaesthetic is on file. "
       "Record the consent, or give the reason in 'Consent exception'.")),
    ("photography", "photos_taken", "photos",
     _("Photographs are charted but no current consent to photography is on file. Record "
       "the consent, or give the reason in 'Consent exception'.")),
)


def consent_findings(content: dict[str, Any], statuses: list[ConsentStatus]
                     ) -> list[dict[str, Any]]:
    state = {s.procedure: s.state for s in statuses}
    reason = str(content.get("consent_exception") or "").strip()
    out = []
    for procedure, key, ui, message in CONSENT_NEEDED:
        value = content.get(key)
        used = value.get("used") if isinstance(value, dict) else bool(value)
        if used and state.get(procedure) != "current":
            out.append(_finding(f"consent.{procedure}_missing", "review" if reason else "refuse",
                                message, ui, rule="consent.scope",
                                source="Puncta consent policy: each charted element needs its "
                                       "consent on file"))
    return out
