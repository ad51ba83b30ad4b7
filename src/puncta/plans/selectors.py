"""Reads of plans, scoped to a clinic."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from puncta.patients.models import Patient

from .checks import with_rule_inputs
from .models import TreatmentPlan


def plans_of(patient: Patient) -> QuerySet[TreatmentPlan]:
    return patient.plans.filter(superseded_at__isnull=True).prefetch_related("zones")


def plan_get(clinic_id: int, plan_id: int, *, rule_inputs: bool = False) -> TreatmentPlan:
    """``rule_inputs``: read the patient's intake answers and screening conditions with the
    plan (pages that ask the rules about it: the slot search, booking)."""
    qs = (TreatmentPlan.objects.select_related("patient__clinic", "approved_by")
          .prefetch_related("zones"))
    if rule_inputs:
        qs = with_rule_inputs(qs)
    try:
        return qs.get(pk=plan_id, patient__clinic_id=clinic_id)
    except (TreatmentPlan.DoesNotExist, ValueError, TypeError):
        raise Http404("No such plan") from None


def plan_versions(plan: TreatmentPlan) -> QuerySet[TreatmentPlan]:
    """The versions of a plan's series, with what the version list shows (no zones)."""
    root = plan.series_id or plan.pk
    return (TreatmentPlan.objects.filter(pk=root) | TreatmentPlan.objects.filter(series_id=root)
            ).only("pk", "version", "created_at", "verdict", "superseded_at").order_by(
        "-version")
