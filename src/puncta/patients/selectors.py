"""Reads of patient records, always scoped to one clinic."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Patient, digits, fold


def patients_of(clinic_id: int) -> QuerySet[Patient]:
    # A record merged into another is not a patient of the clinic any more.
    return Patient.objects.filter(clinic_id=clinic_id, merged_into__isnull=True)


def patient_get(clinic_id: int, patient_id: int) -> Patient:
    """The patient, or 404 — also for another clinic's patient, so ids cannot be probed."""
    try:
        return patients_of(clinic_id).select_related("clinic").get(pk=patient_id)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404("No such patient") from None


def _parse_date(text: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def patient_search(clinic_id: int, query: str) -> QuerySet[Patient]:
    """Search by name (accents and case ignored), date of birth, phone digits or MRN.

    Several words must all match the name ("marie trem" finds Marie Tremblay).
    """
    qs = patients_of(clinic_id)
    query = query.strip()
    if not query:
        return qs
    born = _parse_date(query)
    if born is not None:
        return qs.filter(date_of_birth=born)
    number = digits(query)
    if number and len(number) >= 4 and len(number) >= len(query.replace(" ", "")) - 3:
        return qs.filter(Q(phone_digits__contains=number) | Q(mrn__icontains=query))
    condition = Q()
    for word in fold(query).split()[:5]:
        condition &= Q(search_name__contains=word)
    # Exact (upper-case) MRN so PostgreSQL can OR the trigram index with the MRN index.
    return qs.filter(condition | Q(mrn=query.upper()))


def possible_duplicates(clinic_id: int, *, given_name: str, family_name: str,
                        date_of_birth: Any, phone: str = "", email: str = "",
                        exclude: int | None = None) -> QuerySet[Patient]:
    """Patients of the clinic with the same name (accents and case ignored) and birth date;
    when a phone or an e-mail is given, also those sharing it with the same birth date."""
    same_name = Q(search_name__contains=fold(given_name.strip()),
                  date_of_birth=date_of_birth) & Q(search_name__contains=fold(
                      family_name.strip()))
    shared = Q(pk__in=[])
    if digits(phone or ""):
        shared |= Q(phone_digits=digits(phone), date_of_birth=date_of_birth)
    if email:
        shared |= Q(email__iexact=email.strip(), date_of_birth=date_of_birth)
    qs = patients_of(clinic_id).filter(same_name | shared)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("family_name", "given_name")[:10]  # type: ignore[return-value]
