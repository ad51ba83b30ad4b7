"""A clinic ready to book: hours, rooms, a licensed pen, a screened and consented patient
with an acne-scar plan reaching the dermis."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from puncta.audit.services import Actor
from puncta.clinics.models import Room
from puncta.consent import services as consent_services
from puncta.consent.models import ConsentTemplate
from puncta.devices.models import Device, Licence
from puncta.patients.intake import services as intake_services
from puncta.plans.services import plan_save
from puncta.scheduling.models import WorkingHours

from ..factories import PatientFactory

MONDAY = dt.date(2027, 1, 4)  # a Monday in the future, far from any DST change


def actor_of(m) -> Actor:
    return Actor(user=m.user, role=m.role, clinic_id=m.clinic_id)


@pytest.fixture
def clinic_ready(personas):
    clinic = personas.clinic
    location = clinic.locations.get()
    Room.objects.create(location=location, name="Room 2")
    for m in (personas.physician, personas.aesthetician, personas.nurse):
        for weekday in range(5):
            WorkingHours.objects.create(membership=m, location=location, weekday=weekday,
                                        start=dt.time(9), end=dt.time(17))
    licence = Licence.objects.create(clinic=clinic, authority="HC", number="99501",
                                     device_class=2, first_date=dt.date(2020, 1, 1))
    device = Device.objects.create(clinic=clinic, kind="pen", manufacturer="Demo",
                                   model_name="Pen A", serial_number="SN1",
                                   max_depth_mm=Decimal("2.5"), licence=licence)
    return {"location": location, "device": device}


def ready_patient(personas, consents=("microneedling", "numbing", "photography"), **kwargs):
    """Screened, with the consents a charted session needs (treatment, numbing cream,
    photographs) signed by the patient."""
    patient = PatientFactory(clinic=personas.clinic, **kwargs)
    nurse = actor_of(personas.nurse)
    intake = intake_services.intake_open(actor=nurse, patient=patient)
    intake_services.intake_submit(actor=nurse, response=intake, by_patient=False)
    consent_services.templates_ensure(personas.clinic)
    for procedure in consents:
        template = ConsentTemplate.objects.get(clinic=personas.clinic, procedure=procedure,
                                               language="en", version=1)
        consent_services.consent_sign(
            actor=nurse, patient=patient, template=template, signer_name="P",
            understood=True,
            strokes_json=json.dumps([[[1, 1], [5, 5], [9, 9], [20, 4], [30, 8]]]))
    return patient


def acne_plan(personas, patient, *, start=MONDAY, depth="1.5", severity="mild"):
    return plan_save(actor=actor_of(personas.physician), patient=patient,
                     indication="acne_scars", severity=severity, start=start,
                     device_type="pen", goals="", numbing_minutes=30,
                     zones=[("cheek", Decimal(depth), 3)])


@pytest.fixture
def plan(personas, clinic_ready):
    patient = ready_patient(personas)
    return acne_plan(personas, patient)


@pytest.fixture
def frozen_today(monkeypatch):
    """Make 'today' a fixed date before MONDAY so windows are in the future."""
    fixed = timezone.make_aware(dt.datetime(2026, 12, 1, 12, 0))
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    return fixed
