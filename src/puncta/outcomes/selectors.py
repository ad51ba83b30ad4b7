"""Reads of the outcomes app, scoped to a clinic. A course's page reads a fixed number of
queries whatever the number of sessions, photographs and assessments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import Http404

from puncta.charting.models import Chart, ChartStatus
from puncta.plans.models import TreatmentPlan
from puncta.rules import scales as rule_scales

from .models import Assessment, FollowUp, Photo, Timepoint


def photo_get(clinic_id: int, pk: Any) -> Photo:
    """A photograph of this clinic; another clinic's is not found (404), never forbidden,
    so its existence is not disclosed."""
    try:
        return Photo.objects.select_related("patient").get(pk=pk, clinic_id=clinic_id)
    except (Photo.DoesNotExist, ValueError, TypeError):
        raise Http404("No such photograph") from None


def course_get(clinic_id: int, plan_id: Any) -> TreatmentPlan:
    """The course (its root plan) of a plan of this clinic, with its newest version's
    indication and severity."""
    try:
        plan = (TreatmentPlan.objects.select_related("patient__clinic")
                .get(pk=plan_id, patient__clinic_id=clinic_id))
    except (TreatmentPlan.DoesNotExist, ValueError, TypeError):
        raise Http404("No such course") from None
    if plan.series_id is not None:
        plan = TreatmentPlan.objects.select_related("patient__clinic").get(pk=plan.series_id)
    return plan


def courses_of(clinic_id: int, patient_id: int) -> list[TreatmentPlan]:
    """The patient's courses (root plans), newest first."""
    return list(TreatmentPlan.objects.filter(patient_id=patient_id, patient__clinic_id=clinic_id,
                                             series__isnull=True).order_by("-start", "-id"))


def sort_key(obj: Photo | Assessment) -> tuple[int, int, Any, int]:
    order = {Timepoint.BASELINE: 0, Timepoint.SESSION: 1, Timepoint.FOLLOW_UP: 2}
    day = obj.taken_on if isinstance(obj, Photo) else obj.on
    return (order.get(obj.timepoint, 3), obj.session_number or obj.months or 0, day,
            obj.pk or 0)


@dataclass
class CourseOutcomes:
    plan: TreatmentPlan
    current: TreatmentPlan  # the newest version (indication, severity, course)
    charts: list[Chart]
    photos: list[Photo]
    assessments: list[Assessment]
    follow_ups: list[FollowUp] = field(default_factory=list)

    @property
    def views(self) -> list[str]:
        seen = {p.view for p in self.photos}
        return [v for v in rule_scales.photo_views() if v in seen]

    def photos_of(self, view: str) -> list[Photo]:
        return sorted((p for p in self.photos if p.view == view), key=sort_key)

    def baseline(self, view: str) -> Photo | None:
        return next((p for p in self.photos_of(view)
                     if p.timepoint == Timepoint.BASELINE), None)

    def by_scale(self) -> dict[str, list[Assessment]]:
        out: dict[str, list[Assessment]] = {}
        for a in sorted(self.assessments, key=sort_key):
            out.setdefault(a.scale, []).append(a)
        return out


def course_outcomes(plan: TreatmentPlan) -> CourseOutcomes:
    """Everything of one course (plan must be the root): 5 queries."""
    versions = list(TreatmentPlan.objects.filter(series_id=plan.pk).order_by("-version"))
    current = versions[0] if versions else plan
    ids = {plan.pk, *(v.pk for v in versions)}
    charts = list(Chart.objects.filter(patient_id=plan.patient_id, plan_id__in=ids)
                  .exclude(status=ChartStatus.DRAFT).order_by("on", "id"))
    photos = list(Photo.objects.filter(plan=plan, clinic_id=plan.patient.clinic_id))
    assessments = list(Assessment.objects.filter(plan=plan, clinic_id=plan.patient.clinic_id))
    follow_ups = list(FollowUp.objects.filter(plan=plan))
    return CourseOutcomes(plan=plan, current=current, charts=charts, photos=photos,
                          assessments=assessments, follow_ups=follow_ups)


def follow_ups_due(clinic_id: int, until: Any) -> list[FollowUp]:
    return list(FollowUp.objects.filter(clinic_id=clinic_id, due_on__lte=until,
                                        status__in=["scheduled", "reminded", "sent"])
                .select_related("patient").order_by("due_on", "id"))
