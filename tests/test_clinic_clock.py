"""The clinic's time, everywhere: web and API give the same answer at the edges of a local
day, in a clinic west of UTC and a clinic east of it (the API once computed "today" in
UTC)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from puncta.accounts.models import ApiToken
from puncta.clinics import clock
from puncta.patients.models import Screening

from .conftest import client_for
from .scheduling.conftest import ready_patient

pytestmark = pytest.mark.django_db

LAST_VALID = dt.date(2027, 2, 10)  # the screening's last valid day


def _answers(personas, patient):
    api = ApiToken.issue(personas.nurse, "t")[1]
    r = client_for(personas.nurse).get(reverse("web:patient_detail", args=[patient.pk]))
    web_ok = "screening.expired" not in r.content.decode() and \
        "The screening expired" not in r.content.decode()
    from django.test import Client

    body = Client(headers={"Authorization": f"Bearer {api}"}).get(
        f"/api/v1/patients/{patient.pk}/readiness").json()
    api_ok = not any(p["code"] == "screening.expired" for p in body["problems"])
    return web_ok, api_ok


@pytest.mark.parametrize(("zone", "local_time", "day", "valid"), [
    # 23:30 in Vancouver is 07:30 UTC the next day: still the last valid day at the clinic.
    ("America/Vancouver", dt.time(23, 30), LAST_VALID, True),
    # 23:30 in Tokyo is 14:30 UTC the same day: valid on both counts.
    ("Asia/Tokyo", dt.time(23, 30), LAST_VALID, True),
    # 08:30 in Tokyo the day after is still the last valid day in UTC: expired at the clinic.
    ("Asia/Tokyo", dt.time(8, 30), LAST_VALID + dt.timedelta(days=1), False),
    ("America/Vancouver", dt.time(0, 30), LAST_VALID + dt.timedelta(days=1), False),
])
def test_web_and_api_agree_on_the_clinic_day(personas, zone, local_time, day, valid):
    clinic = personas.clinic
    clinic.time_zone = zone
    clinic.save()
    clinic.locations.update(time_zone=zone)
    patient = ready_patient(personas)
    Screening.objects.filter(patient=patient).update(valid_until=LAST_VALID)
    at = dt.datetime.combine(day, local_time, tzinfo=zoneinfo.ZoneInfo(zone))
    with time_machine.travel(at, tick=False):
        assert clock.today(clinic) == day
        assert _answers(personas, patient) == (valid, valid)
