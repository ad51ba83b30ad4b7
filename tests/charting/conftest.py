"""A booked acne-scar session (dermal depth) with an aesthetician, a licensed pen and a
cartridge lot: what a chart is started from."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from puncta.devices.models import CartridgeLot, CartridgeProduct
from puncta.scheduling.models import Appointment

from ..scheduling.conftest import acne_plan, actor_of, clinic_ready, ready_patient  # noqa: F401

TZ = zoneinfo.ZoneInfo("America/Toronto")
# Charts are signed after their session (never before it): sessions here are booked for
# the day at 10:00 and later, so the clinic's clock stands at 18:30 that day (still the
# same day in UTC, which the fixtures use for "today"). The day is
# fixed (a Monday) so no test depends on the wall clock.
DAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _evening_of_the_session_day():
    import time_machine

    with time_machine.travel(dt.datetime.combine(DAY, dt.time(18, 30), tzinfo=TZ), tick=False):
        yield


def make_lot(clinic, device, *, number="LOT-A1", expiry=None, quantity=10):
    product, _ = CartridgeProduct.objects.get_or_create(
        clinic=clinic, manufacturer="Demo", name="12-pin",
        defaults={"needle_count": 12, "compatible_models": [device.model_name]})
    return CartridgeLot.objects.create(
        clinic=clinic, product=product, lot_number=number,
        expiry=expiry or timezone.localdate() + dt.timedelta(days=365),
        quantity_received=quantity, quantity_left=quantity,
        received_on=timezone.localdate())


def book(personas, plan, device, *, practitioner=None, supervisor=None, on=None, hour=10):
    """An appointment written directly (booking rules are scheduling's tests)."""
    on = on or timezone.localdate()
    loc = personas.clinic.locations.get()
    start = dt.datetime.combine(on, dt.time(hour), tzinfo=TZ)
    return Appointment.objects.create(
        clinic=personas.clinic, location=loc, patient=plan.patient, plan=plan,
        series=plan, session_number=1, practitioner=practitioner or personas.aesthetician,
        supervisor=supervisor, room=loc.rooms.first(), device=device, start=start,
        treat_start=start + dt.timedelta(minutes=30), end=start + dt.timedelta(minutes=75),
        created_by=personas.front_desk.user)


@pytest.fixture
def session(personas, clinic_ready):  # noqa: F811
    device = clinic_ready["device"]
    patient = ready_patient(personas, given_name="Chloé", family_name="Roy")
    plan = acne_plan(personas, patient, start=timezone.localdate())
    lot = make_lot(personas.clinic, device)
    appt = book(personas, plan, device)
    return {"device": device, "patient": patient, "plan": plan, "lot": lot, "appt": appt}
