"""Reads of patient records, always scoped to one clinic."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Patient, digits, fold


def patients_of(clinic_id: int) -> QuerySet[Patient]:
    return Patient.objects.filter(clinic_id=clinic_id)


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
