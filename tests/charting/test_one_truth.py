"""Issue "One clinical truth": the clinical edge cases that were wrong, each through the
services the web and the API call (both databases)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import QuerySet
from django.urls import reverse

from puncta.charting import services
from puncta.charting.models import Chart
from puncta.consent.models import Consent
from puncta.devices.models import LotDraw
from puncta.patients.intake import services as intake_services
from puncta.patients.services import patient_update
from puncta.plans.services import plan_save
from puncta.scheduling.models import Status, WorkingHours

from ..conftest import client_for
from .conftest import DAY, actor_of, book
from .test_flow import _data

pytestmark = pytest.mark.django_db


def _codes(chart):
    return {f["code"]: f["severity"] for f in chart.findings}


def _charted(personas, session, appt=None, **over):
    aest = actor_of(personas.aesthetician)
    chart = services.chart_start(actor=aest, appointment=appt or session["appt"])
    chart, _errors = services.chart_save(actor=aest, chart=chart,
                                         expected_version=chart.version,
                                         data=_data(chart, **over))
    return chart


def _signed(personas, session, **over):
    chart = _charted(personas, session, supervisor_id=personas.physician.pk, **over)
    chart = services.chart_attest_supervision(actor=actor_of(personas.physician), chart=chart)
    return services.chart_sign(actor=actor_of(personas.aesthetician), chart=chart)


# --- spacing: every signed session counts, by zone, whatever the course ----------------


def test_same_zone_twice_on_one_day_is_refused_whatever_the_indication(personas, session):
    _signed(personas, session)  # acne scars, cheek, today
    walk_in = services.chart_start_walk_in(
        actor=actor_of(personas.physician), patient=session["patient"],
        practitioner=personas.physician, indication="fine_lines", on=DAY)
    aest = actor_of(personas.physician)
    walk_in, _ = services.chart_save(
        actor=aest, chart=walk_in, expected_version=walk_in.version,
        data=_data(walk_in, practitioner_id=personas.physician.pk, supervisor_id=None,
                   zones=[{"zone": "cheek_left", "depth_mm": "0.5", "passes": 2}]))
    assert _codes(walk_in).get("interval.same_day") == "refuse"
    assert walk_in.verdict == "refuse"
    # Another area the same day is not the same skin: no spacing finding.
    walk_in, _ = services.chart_save(
        actor=aest, chart=walk_in, expected_version=walk_in.version,
        data=_data(walk_in, practitioner_id=personas.physician.pk, supervisor_id=None,
                   zones=[{"zone": "forehead", "depth_mm": "0.5", "passes": 2}]))
    assert not {c for c in _codes(walk_in) if c.startswith("interval.")}


# --- a chart is signed after its session, and only then completes and draws ---------------


def test_chart_cannot_be_signed_before_its_session(personas, session):
    tomorrow = book(personas, session["plan"], session["device"], on=DAY + dt.timedelta(days=1),
                    hour=11)
    chart = _charted(personas, session, appt=tomorrow, supervisor_id=personas.physician.pk)
    chart = services.chart_attest_supervision(actor=actor_of(personas.physician), chart=chart)
    with pytest.raises(services.ChartError) as exc:
        services.chart_sign(actor=actor_of(personas.aesthetician), chart=chart)
    assert exc.value.code == "before_session"
    tomorrow.refresh_from_db()
    assert tomorrow.status == Status.BOOKED  # not completed
    assert not LotDraw.objects.filter(reference=f"chart:{chart.pk}").exists()  # no cartridge


# --- starting the same chart twice --------------------------------------------------------


def test_starting_the_same_chart_twice_returns_the_first(personas, session, monkeypatch):
    first = services.chart_start(actor=actor_of(personas.aesthetician),
                                 appointment=session["appt"])
    # The second click arrives before the first is visible to it: its look-up finds
    # nothing, its insert hits the one-chart-per-appointment constraint.
    calls = {"n": 0}
    real_first = QuerySet.first

    def stale_first(qs):
        calls["n"] += 1
        return None if calls["n"] == 1 else real_first(qs)

    monkeypatch.setattr(QuerySet, "first", stale_first)
    second = services.chart_start(actor=actor_of(personas.aesthetician),
                                  appointment=session["appt"])
    assert second.pk == first.pk
    assert Chart.objects.filter(appointment=session["appt"]).count() == 1


# --- consents the chart needs ------------------------------------------------------------


def test_numbing_without_its_consent_needs_a_recorded_reason(personas, session):
    Consent.objects.filter(patient=session["patient"], template__procedure="numbing").update(
        withdrawn_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), withdrawn_reason="asked")
    chart = _charted(personas, session, supervisor_id=personas.physician.pk)
    assert _codes(chart)["consent.numbing_missing"] == "refuse"
    chart = _charted(personas, session, supervisor_id=personas.physician.pk,
                     consent_exception="Verbal consent recorded; form to follow.")
    assert _codes(chart)["consent.numbing_missing"] == "review"
    assert chart.cosign_required


def test_appointment_page_flags_consent_withdrawn_after_booking(personas, session):
    Consent.objects.filter(patient=session["patient"],
                           template__procedure="microneedling").update(
        withdrawn_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC), withdrawn_reason="changed mind")
    html = client_for(personas.front_desk).get(
        reverse("scheduling:appointment", args=[session["appt"].pk])).content.decode()
    assert 'data-code="consent.withdrawn"' in html and 'role="alert"' in html
    chart = _charted(personas, session)
    assert _codes(chart)["gate.consent.withdrawn"] == "refuse"
    gate = next(f for f in chart.findings if f["code"] == "gate.consent.withdrawn")
    assert gate["message"] != gate["message_fr"]  # both languages, not a copy


# --- a screened fact corrected re-runs screening -----------------------------------------


def test_correcting_the_date_of_birth_screens_again_and_the_gate_follows(personas, session):
    patient = session["patient"]
    before = patient.screenings.get(superseded_at__isnull=True)
    patient_update(actor=actor_of(personas.front_desk), patient=patient,
                   date_of_birth=dt.date(2012, 3, 1))
    current = patient.screenings.get(superseded_at__isnull=True)
    assert current.pk != before.pk
    assert "age.minor" in {f["code"] for f in current.findings}
    assert current.result == "review"


# --- supervision is real -----------------------------------------------------------------


def test_supervisor_off_shift_is_refused(personas, session):
    WorkingHours.objects.filter(membership=personas.physician).delete()
    chart = _charted(personas, session, supervisor_id=personas.physician.pk)
    chart = services.chart_attest_supervision(actor=actor_of(personas.physician), chart=chart)
    assert _codes(chart).get("supervision.off_shift") == "refuse"


# --- a physician's structured conditions apply at plan and charting ----------------------


def test_physician_conditions_apply_at_plan_and_chart(personas, session):
    patient = session["patient"]
    screening = patient.screenings.get(superseded_at__isnull=True)
    screening.result = "review"
    screening.save()
    intake_services.screening_review(
        actor=actor_of(personas.physician), screening=screening, decision="approved",
        note="Thin skin on the forehead", max_depth_mm=Decimal("1.0"),
        avoid_zones=["forehead"])
    plan = plan_save(actor=actor_of(personas.physician), patient=patient,
                     indication="acne_scars", severity="mild", start=DAY, device_type="pen",
                     goals="", numbing_minutes=30,
                     zones=[("cheek", Decimal("1.5"), 3), ("forehead", Decimal("0.5"), 2)])
    codes = {f["code"] for f in plan.findings}
    assert {"restriction.depth", "restriction.zone"} <= codes and plan.verdict == "refuse"
    chart = _charted(personas, session, supervisor_id=personas.physician.pk)
    assert _codes(chart).get("restriction.depth") == "refuse"
    page = client_for(personas.nurse).get(
        reverse("web:patient_detail", args=[patient.pk])).content.decode()
    assert "data-restrictions" in page and "1.0" in page


# --- a minor needs a guardian's consent (the jurisdiction's age of consent) -------------


def test_minor_needs_a_guardians_consent_before_the_gate_opens(personas, clinic_ready):
    from puncta.consent import services as consent_services
    from puncta.consent.gate import treatment_gate
    from puncta.consent.models import ConsentTemplate

    from ..scheduling.conftest import ready_patient

    personas.clinic.jurisdiction = "CA-ON"  # age of consent 18
    personas.clinic.save()
    minor = ready_patient(personas, consents=(), date_of_birth=dt.date(2010, 5, 1))
    template = ConsentTemplate.objects.get(clinic=personas.clinic, procedure="microneedling",
                                           language="en", version=1)
    strokes = "[[[1, 1], [5, 5], [9, 9], [20, 4], [30, 8]]]"
    with pytest.raises(consent_services.ConsentError) as exc:
        consent_services.consent_sign(actor=actor_of(personas.nurse), patient=minor,
                                      template=template, signer_name="Minor Self",
                                      understood=True, strokes_json=strokes)
    assert exc.value.field == "relationship"
    with pytest.raises(consent_services.ConsentError):
        consent_services.consent_sign(actor=actor_of(personas.nurse), patient=minor,
                                      template=template, signer_name="X", relationship="aunt",
                                      understood=True, strokes_json=strokes)
    consent = consent_services.consent_sign(
        actor=actor_of(personas.nurse), patient=minor, template=template,
        signer_name="Parent Name", relationship="parent", understood=True,
        strokes_json=strokes)
    assert (consent.signer_name, consent.signer_relationship) == ("Parent Name", "parent")
    codes = {p.code for p in treatment_gate(minor, DAY)}
    assert not {c for c in codes if c.startswith("consent.")}


def test_birth_date_corrected_to_a_minor_closes_the_gate(personas, session):
    from puncta.consent.gate import treatment_gate

    patient = session["patient"]
    assert "consent.guardian_required" not in {p.code for p in treatment_gate(patient, DAY)}
    patient_update(actor=actor_of(personas.front_desk), patient=patient,
                   date_of_birth=dt.date(2011, 1, 1))
    patient.refresh_from_db()
    assert "consent.guardian_required" in {p.code for p in treatment_gate(patient, DAY)}
