"""A clinic with one patient's full course on record (intake, consent, plan, booked and
charted session with device, lot, supervisor and an adverse event during it, a photograph
and two scale assessments), a second patient, and a patient of another clinic; API tokens
for the personas."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from puncta.accounts.models import ApiToken
from puncta.charting import services as charting
from puncta.fhir.validate import validate
from puncta.outcomes import services as outcomes

from ..charting.conftest import DAY, TZ, book, make_lot
from ..factories import PatientFactory
from ..outcomes.conftest import jpeg
from ..scheduling.conftest import acne_plan, actor_of, clinic_ready, ready_patient  # noqa: F401


@pytest.fixture(autouse=True)
def _evening_of_the_session_day():
    """Charts are signed after their session: the clock stands at the evening of the
    session day (as in tests/charting), so no test depends on the wall clock."""
    import time_machine

    with time_machine.travel(dt.datetime.combine(DAY, dt.time(18, 30), tzinfo=TZ), tick=False):
        yield


@pytest.fixture(autouse=True)
def photo_storage(settings, tmp_path_factory):
    # Not under tmp_path: the export tests list that folder.
    where = tmp_path_factory.mktemp("photos")
    settings.STORAGES = {**settings.STORAGES, "photos": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(where), "base_url": None}}}
    return where


def token_for(membership) -> str:
    return ApiToken.issue(membership, "fhir test")[1]


def fhir_client(membership) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_for(membership)}")


def charted(personas, device, patient, *, lot_number="LOT-A1", hour=10):
    """A signed, co-signed session chart with one adverse event during it."""
    plan = acne_plan(personas, patient, start=DAY)
    lot = make_lot(personas.clinic, device, number=lot_number)
    appt = book(personas, plan, device, on=DAY, hour=hour)
    aest = actor_of(personas.aesthetician)
    chart = charting.chart_start(actor=aest, appointment=appt)
    chart, errors = charting.chart_save(actor=aest, chart=chart, expected_version=chart.version,
                                        data={
        "practitioner_id": personas.aesthetician.pk, "supervisor_id": personas.physician.pk,
        "device_id": device.pk, "lot_number": lot.lot_number, "today": {"answered": True},
        "photos_taken": True, "cleansing": "chlorhexidine",
        "numbing": {"used": True, "product": "emla", "amount_g": "10", "area_cm2": "100",
                    "applied_at": "09:00", "removed_at": "09:40", "occluded": False},
        "zones": [{"zone": "cheek_left", "depth_mm": "1.5", "passes": 3,
                   "pattern": "horizontal", "endpoint": "pinpoint_bleeding"},
                  {"zone": "jawline", "depth_mm": "1.0", "passes": 2,
                   "pattern": "horizontal", "endpoint": "erythema"}],
        "duration_min": 30, "notes": "Tolerated well."})
    assert errors == {}, errors
    # The supervising physician attests supervising, as themselves (main's rule).
    chart = charting.chart_attest_supervision(actor=actor_of(personas.physician), chart=chart)
    assert chart.verdict != "refuse", chart.findings
    charting.adverse_event_record(actor=aest, patient=patient, chart=chart, phase="during",
                                  kind="pain", severity="mild", description="Stinging")
    chart.refresh_from_db()
    chart = charting.chart_sign(actor=aest, chart=chart)
    if chart.cosign_required:
        chart = charting.chart_cosign(actor=actor_of(personas.physician), chart=chart,
                                      note="ok")
    return {"plan": plan, "lot": lot, "appt": appt, "chart": chart}


@pytest.fixture
def record(personas, clinic_ready):  # noqa: F811
    device = clinic_ready["device"]
    patient = ready_patient(personas, given_name="Hélène", family_name="Tremblay",
                            phone="(613) 555-0142", email="helene@example.com",
                            preferred_language="fr")
    done = charted(personas, device, patient)
    nurse = actor_of(personas.nurse)
    photo = outcomes.photo_add(actor=nurse, patient=patient, plan=done["plan"], data=jpeg(),
                               view="front", zone="cheek_left",
                               when=outcomes.When("session", session_number=1))
    grade = outcomes.assessment_record(actor=nurse, patient=patient, plan=done["plan"],
                                       scale="gb_qualitative", answers={"grade": 3},
                                       when=outcomes.When("baseline"))
    vss = outcomes.assessment_record(
        actor=nurse, patient=patient, plan=done["plan"], scale="vss",
        answers={"vascularity": 1, "pigmentation": 1, "pliability": 2, "height": 1},
        when=outcomes.When("session", session_number=1))
    second = PatientFactory(clinic=personas.clinic, given_name="Marc", family_name="Ayotte")
    other = PatientFactory(clinic=personas.other_clinic, given_name="Oscar",
                           family_name="Tremblay")
    return {"patient": patient, "second": second, "other": other, "device": device,
            "photo": photo, "grade": grade, "vss": vss, **done}


def entries(bundle, mode="match"):
    return [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def valid(resource):
    """Validated against its fhir.resources R4B model (raises if not)."""
    return validate(resource)
