"""Reads about consents: which are current, per procedure, for a patient."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max
from django.http import Http404

from puncta.patients.models import Patient

from .models import Consent, ConsentTemplate, Procedure


@dataclass(frozen=True)
class ConsentStatus:
    procedure: str
    label: str
    state: str  # current | outdated | withdrawn | missing
    consent: Consent | None


def latest_versions(clinic_id: int) -> dict[tuple[str, str], int]:
    rows = (ConsentTemplate.objects.filter(clinic_id=clinic_id)
            .values("procedure", "language").annotate(v=Max("version")))
    return {(r["procedure"], r["language"]): r["v"] for r in rows}


def consent_statuses(patient: Patient) -> list[ConsentStatus]:
    """One line per procedure: the newest consent and whether it still counts."""
    latest = latest_versions(patient.clinic_id)
    newest: dict[str, Consent] = {}
    for c in patient.consents.select_related("template").order_by("-signed_at", "-id"):
        newest.setdefault(c.template.procedure, c)
    out = []
    for code, label in Procedure.choices:
        c = newest.get(code)
        if c is None:
            state = "missing"
        elif c.withdrawn_at:
            state = "withdrawn"
        elif c.template.version < latest.get((code, c.template.language), 0):
            state = "outdated"
        else:
            state = "current"
        out.append(ConsentStatus(code, str(label), state, c))
    return out


def consent_get(clinic_id: int, consent_id: int) -> Consent:
    try:
        return Consent.objects.select_related("template", "patient", "witness").get(
            pk=consent_id, patient__clinic_id=clinic_id)
    except (Consent.DoesNotExist, ValueError, TypeError):
        raise Http404("No such consent") from None


def template_current(clinic_id: int, procedure: str, language: str) -> ConsentTemplate | None:
    return (ConsentTemplate.objects.select_related("clinic")
            .filter(clinic_id=clinic_id, procedure=procedure, language=language)
            .order_by("-version").first())
