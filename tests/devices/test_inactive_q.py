"""``inactive_q`` (the compliance page's query) decides as ``active_between`` (the
model's): one licence date rule, written once for rows and once for SQL, kept equal."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db.models import DateField, Value

from puncta.devices.models import Licence, active_between, inactive_q

from ..factories import ClinicFactory

pytestmark = pytest.mark.django_db

D = dt.date(2026, 6, 15)
DATES = [None, D - dt.timedelta(days=1), D, D + dt.timedelta(days=1)]


def test_inactive_q_agrees_with_active_between():
    clinic = ClinicFactory()
    cases = {}
    for i, (first, end) in enumerate(itertools.product(DATES, DATES)):
        lic = Licence.objects.create(clinic=clinic, authority="HC", number=str(1000 + i),
                                     device_class=2, first_date=first, end_date=end)
        cases[lic.pk] = not active_between(first, end, D)
    inactive = set(Licence.objects.filter(clinic=clinic)
                   .annotate(on=Value(D, output_field=DateField()))
                   .filter(inactive_q("first_date", "end_date", "on"))
                   .values_list("pk", flat=True))
    assert inactive == {pk for pk, off in cases.items() if off}
    assert 0 < len(inactive) < len(cases)

