"""Creating, revising and approving treatment plans (one transaction each, audited)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from puncta import rules
from puncta.accounts.roles import has_perm
from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.patients.models import Patient

from .checks import check_plan, zone_of_field
from .models import PlanZone, TreatmentPlan


class PlanError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _findings(decision: rules.SessionDecision, zones: list[tuple[str, Decimal, int]]
              ) -> list[dict[str, Any]]:
    out = []
    for f in decision.findings:
        item = f.to_dict()
        item["zone"] = zone_of_field(f.field, zones)
        out.append(item)
    return out


def plan_save(*, actor: Actor, patient: Patient, indication: str, severity: str,
              start: dt.date, device_type: str, goals: str, numbing_minutes: int,
              zones: list[tuple[str, Decimal, int]],
              previous: TreatmentPlan | None = None) -> TreatmentPlan:
    """A new plan, or a new version of ``previous`` (which is kept, superseded)."""
    if not zones:
        raise PlanError("zones", _("Choose at least one zone and its depth."))
    try:
        course = rules.plan_course(indication, severity, start=start)
        decision = check_plan(patient=patient, indication=indication, severity=severity,
                              on=start, zones=zones)
    except rules.RulesInputError as exc:
        raise PlanError(exc.field, str(exc)) from None
    with transaction.atomic():
        version = 1
        series = None
        if previous is not None:
            locked = TreatmentPlan.objects.select_for_update().get(pk=previous.pk)
            if locked.superseded_at is not None:
                raise PlanError("", _("This plan was changed by someone else; open the "
                                      "latest version."))
            locked.superseded_at = timezone.now()
            locked.save(update_fields=["superseded_at"])
            version = locked.version + 1
            series = locked.series or locked
        plan = TreatmentPlan.objects.create(
            patient=patient, series=series, version=version, indication=indication,
            severity=severity, start=start, device_type=device_type, goals=goals.strip(),
            numbing_minutes=numbing_minutes, course=course.to_dict(),
            verdict=decision.verdict, findings=_findings(decision, zones),
            rules_version=decision.rules_version, created_by=actor.user,
        )
        PlanZone.objects.bulk_create(
            [PlanZone(plan=plan, zone=z, depth_mm=d, passes=p) for z, d, p in zones])
        record(actor, Action.CREATE, plan, patient_id=patient.pk,
               data={"version": version, "verdict": decision.verdict,
                     "series": plan.series_id or plan.pk,
                     "codes": [f.code for f in decision.findings]})
    return plan


def plan_approve(*, actor: Actor, plan: TreatmentPlan, note: str) -> TreatmentPlan:
    if not has_perm(actor.role, "plan.approve"):
        raise PlanError("note", _("Only a physician can approve a plan."))
    if not note.strip():
        raise PlanError("note", _("A note is required with the approval."))
    with transaction.atomic():
        current = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
        if current.verdict != "review" or current.approved_at or current.superseded_at:
            raise PlanError("note", _("This plan does not need an approval."))
        current.approved_by = actor.user
        current.approved_at = timezone.now()
        current.approval_note = note.strip()[:2000]
        current.save(update_fields=["approved_by", "approved_at", "approval_note"])
        record(actor, Action.UPDATE, current, patient_id=current.patient_id,
               reason=current.approval_note, data={"approved": True})
    return current
