"""Reads for intake and screening, scoped to a clinic."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from ..models import IntakeResponse, IntakeStatus, Patient, Screening, ScreeningResult


def screening_current(patient: Patient) -> Screening | None:
    return patient.screenings.filter(superseded_at__isnull=True).select_related(
        "decided_by").first()


def review_queue(clinic_id: int) -> QuerySet[Screening]:
    """Screenings waiting for a physician, oldest first."""
    return (Screening.objects.filter(patient__clinic_id=clinic_id, result=ScreeningResult.REVIEW,
                                     decision="", superseded_at__isnull=True)
            .select_related("patient").order_by("screened_at"))


def screening_get(clinic_id: int, screening_id: int) -> Screening:
    try:
        return Screening.objects.select_related("patient", "decided_by", "intake").get(
            pk=screening_id, patient__clinic_id=clinic_id)
    except (Screening.DoesNotExist, ValueError, TypeError):
        raise Http404("No such screening") from None


def intake_latest(patient: Patient) -> IntakeResponse | None:
    return patient.intakes.select_related("questionnaire").first()


def intake_submitted(patient: Patient) -> IntakeResponse | None:
    return patient.intakes.filter(status=IntakeStatus.SUBMITTED).first()
