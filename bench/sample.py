"""What a bench asks of a seeded database (Django set up first): the largest clinic, a
clinician's API token there, and a fixed sample of its patients with the 3-letter
family-name prefixes a name search is given (random.Random(1): the same on every run)."""

from __future__ import annotations

import random
import sys
from typing import Any


def largest_clinic() -> Any:
    """The clinic with the most patients (``.n`` holds the count)."""
    from django.db.models import Count

    from puncta.clinics.models import Clinic

    clinic = Clinic.objects.annotate(n=Count("patients")).order_by("-n").first()
    if clinic is None or clinic.n == 0:
        sys.exit("bench: the database has no patients; run `puncta seed` first")
    return clinic


def clinician_token(clinic_id: int, label: str) -> str:
    """A registered nurse's token (a physician's when the clinic has no nurse)."""
    from puncta.accounts.models import ApiToken, Membership

    member = Membership.objects.filter(clinic_id=clinic_id, role="registered_nurse",
                                       is_active=True).first() \
        or Membership.objects.filter(clinic_id=clinic_id, role="physician").first()
    if member is None:
        sys.exit(f"bench: clinic {clinic_id} has no nurse or physician")
    return ApiToken.issue(member, label)[1]


def patients_and_fragments(clinic_id: int, size: int = 2000) -> tuple[list[int], list[str]]:
    """``size`` of the clinic's patient ids, and the prefixes of 300 of their family names."""
    from puncta.patients.models import Patient

    ids = list(Patient.objects.filter(clinic_id=clinic_id).values_list("pk", flat=True))
    sample = random.Random(1).sample(ids, min(size, len(ids)))
    names = Patient.objects.filter(pk__in=sample[:300]).values_list("family_name", flat=True)
    return sample, sorted({n[:3].lower() for n in names if len(n) >= 3 and n[:3].isalpha()})
