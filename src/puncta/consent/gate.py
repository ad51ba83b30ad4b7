"""May this patient be booked or treated today? Screening and consent, with the reason
and where to fix it. Booking and charting call ``treatment_gate``; they never re-check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from puncta import rules
from puncta.patients.intake.selectors import screening_current
from puncta.patients.models import Patient, ReviewDecision, ScreeningResult

from .selectors import ConsentStatus, consent_statuses


@dataclass(frozen=True)
class GateProblem:
    """What stops treatment, where to fix it, and the message in the reader's language
    (``message``); ``text`` and ``params`` render it in either language (charting does)."""

    code: str
    text: Any  # a lazy translatable string
    url: str
    params: tuple[tuple[str, str], ...] = ()

    def _in(self, lang: str | None) -> str:
        if lang is None:
            out = str(self.text)
        else:
            with translation.override(lang):
                out = str(self.text)
        return out % dict(self.params) if self.params else out

    @property
    def message(self) -> str:
        return self._in(None)


_UNSET: Any = object()


def treatment_gate(patient: Patient, on: dt.date, *, screening: Any = _UNSET,
                   statuses: list[ConsentStatus] | None = None) -> list[GateProblem]:
    """Pass ``screening`` and ``statuses`` when the caller has already read them."""
    problems = []
    if screening is _UNSET:
        screening = screening_current(patient)
    screening_url = reverse("patients:screening", args=[patient.pk])
    intake_url = reverse("patients:intake_desk", args=[patient.pk])
    if screening is None:
        problems.append(GateProblem("screening.missing", _(
            "No screening: the intake questionnaire has not been submitted."), intake_url))
    elif on > screening.valid_until:
        problems.append(GateProblem("screening.expired", _(
            "The screening expired on %(d)s: the patient must update the questionnaire."),
            intake_url, (("d", screening.valid_until.isoformat()),)))
    elif screening.result == ScreeningResult.NOT_CANDIDATE:
        problems.append(GateProblem("screening.not_candidate", _(
            "The screening found an absolute contraindication: not a candidate."),
            screening_url))
    elif screening.result == ScreeningResult.REVIEW and not screening.decision:
        problems.append(GateProblem("screening.awaiting_review", _(
            "The screening is waiting for a physician's review."), screening_url))
    elif screening.decision == ReviewDecision.DECLINED:
        problems.append(GateProblem("screening.declined", _(
            "A physician declined treatment after reviewing the screening."), screening_url))
    consent_url = reverse("consent:patient", args=[patient.pk])
    status = next(s for s in (statuses if statuses is not None else consent_statuses(patient))
                  if s.procedure == "microneedling")
    messages = {
        "missing": _("No signed consent to microneedling."),
        "outdated": _("The consent to microneedling was signed on an older version: "
                      "the patient must consent again."),
        "withdrawn": _("The patient withdrew consent to microneedling."),
    }
    if status.state in messages:
        problems.append(GateProblem(f"consent.{status.state}", messages[status.state],
                                    consent_url))
    elif status.consent is not None and not status.consent.signer_relationship and \
            rules.guardian_required(patient.date_of_birth, on, patient.clinic.jurisdiction):
        # A minor (by the jurisdiction's age of consent) signed alone, or the birth date was
        # corrected after signing: a parent or guardian must consent.
        problems.append(GateProblem(
            "consent.guardian_required", _(
                "The patient is under %(age)s, the age of consent here: a parent or guardian "
                "must sign the consent to microneedling."), consent_url,
            (("age", str(rules.consent_age(patient.clinic.jurisdiction).age)),)))
    return problems
