"""Bad input and edge cases: decimal commas, device maximum, lot expiry, signing twice,
amending without reason, co-signing rules, lost updates, today's questions, numbing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from puncta.charting import services
from puncta.charting.models import ChartStatus
from puncta.devices.models import Device
from puncta.scheduling.models import PatientMessage

from ..factories import MembershipFactory
from .conftest import actor_of, book, make_lot
from .test_flow import _data

pytestmark = pytest.mark.django_db


def _start(personas, session, **over):
    aest = actor_of(personas.aesthetician)
    chart = services.chart_start(actor=aest, appointment=session["appt"])
    data = _data(chart, supervisor_id=personas.physician.pk)
    data.update(over)
    chart, errors = services.chart_save(actor=aest, chart=chart,
                                        expected_version=chart.version, data=data)
    if chart.supervisor_id == personas.physician.pk:
        chart = services.chart_attest_supervision(actor=actor_of(personas.physician),
                                                  chart=chart)
    return chart, errors


def _codes(chart, ui=None):
    return {f["code"] for f in chart.findings if ui is None or f["ui"] == ui}


@pytest.mark.parametrize("typed, message", [("1,5", "point for decimals"),
                                            ("15", "not a microneedling depth"),
                                            ("abc", "millimetres")])
def test_depth_typos_are_errors_at_the_zone_never_guessed(personas, session, typed, message):
    chart, errors = _start(personas, session, zones=[{"zone": "cheek", "depth_mm": typed}])
    assert message in errors["zone-cheek"]
    # The last valid value (the plan's 1.50) is kept, not a guess.
    assert chart.content["zones"][0]["depth_mm"] == "1.50"


def test_depth_beyond_device_maximum_is_refused_at_the_zone(personas, session):
    Device.objects.filter(pk=session["device"].pk).update(max_depth_mm=Decimal("1.0"))
    chart, _ = _start(personas, session)
    assert "device.depth_exceeded" in _codes(chart, "zone-cheek")
    assert chart.verdict == "refuse"


def test_lot_expiring_today_is_usable_yesterday_is_not(personas, session):
    today = timezone.localdate()
    session["lot"].expiry = today
    session["lot"].save()
    chart, _ = _start(personas, session)
    assert not _codes(chart, "lot")
    chart = services.chart_sign(actor=actor_of(personas.aesthetician), chart=chart)
    assert chart.lot_draw.on == today


def test_expired_lot_refuses_signing(personas, session):
    make_lot(personas.clinic, session["device"], number="OLD-1",
             expiry=timezone.localdate() - dt.timedelta(days=1))
    chart, _ = _start(personas, session, lot_number="OLD-1")
    assert "lot.expired" in _codes(chart, "lot")
    with pytest.raises(services.ChartError) as exc:
        services.chart_sign(actor=actor_of(personas.aesthetician), chart=chart)
    assert exc.value.code == "refused"


def test_unknown_lot_and_missing_answers_block_signing(personas, session):
    chart, _ = _start(personas, session, lot_number="NOPE", today={"answered": False})
    assert "lot.unknown" in _codes(chart, "lot")
    assert "chart.today_unanswered" in _codes(chart, "today")


def test_sign_twice_and_only_the_practitioner_signs(personas, session):
    chart, _ = _start(personas, session)
    with pytest.raises(services.ChartError) as exc:
        services.chart_sign(actor=actor_of(personas.nurse), chart=chart)
    assert exc.value.code == "not_practitioner"
    services.chart_sign(actor=actor_of(personas.aesthetician), chart=chart)
    with pytest.raises(services.ChartError) as exc:
        services.chart_sign(actor=actor_of(personas.aesthetician), chart=chart)
    assert exc.value.code == "signed"
    session["lot"].refresh_from_db()
    assert session["lot"].quantity_left == 9  # one draw, not two


def test_locked_chart_is_not_saved_and_amendment_needs_reason(personas, session):
    chart, _ = _start(personas, session)
    chart = services.chart_sign(actor=actor_of(personas.aesthetician), chart=chart)
    with pytest.raises(services.ChartError) as exc:
        services.chart_save(actor=actor_of(personas.aesthetician), chart=chart,
                            expected_version=chart.version, data=_data(chart))
    assert exc.value.code == "locked"
    with pytest.raises(services.ChartError) as exc:
        services.chart_amend(actor=actor_of(personas.aesthetician), chart=chart, reason="",
                             data={"notes": "x"})
    assert exc.value.code == "reason"


def test_only_the_named_supervisor_cosigns(personas, session):
    other = MembershipFactory(clinic=personas.clinic, role="physician",
                              user__username="physician2")
    chart, _ = _start(personas, session)
    chart = services.chart_sign(actor=actor_of(personas.aesthetician), chart=chart)
    assert chart.status == ChartStatus.PENDING_COSIGN
    for who in (other, personas.nurse_practitioner, personas.aesthetician):
        with pytest.raises(services.ChartError):
            services.chart_cosign(actor=actor_of(who), chart=chart, note="n")
    services.chart_cosign(actor=actor_of(personas.physician), chart=chart, note="seen")


def test_physician_who_performed_may_cosign_own_review(personas, session):
    appt = session["appt"]
    appt.practitioner = personas.physician
    appt.save()
    aphys = actor_of(personas.physician)
    chart = services.chart_start(actor=aphys, appointment=appt)
    chart, _ = services.chart_save(actor=aphys, chart=chart, expected_version=chart.version,
                                   data=_data(chart, zones=[{"zone": "forehead",
                                                             "depth_mm": "0.7"}]))
    assert chart.verdict == "review", chart.findings
    chart = services.chart_sign(actor=aphys, chart=chart)
    assert chart.status == ChartStatus.PENDING_COSIGN
    with pytest.raises(services.ChartError) as exc:
        services.chart_cosign(actor=aphys, chart=chart, note="")
    assert exc.value.code == "note_required"
    chart = services.chart_cosign(actor=aphys, chart=chart, note="thick skin, as planned")
    assert chart.status == ChartStatus.FINAL


def test_supervisor_must_be_a_physician_not_oneself(personas, session):
    chart, errors = _start(personas, session, supervisor_id=personas.nurse.pk)
    assert "supervisor" in errors and chart.supervisor_id is None
    assert "supervision.required" in _codes(chart, "supervisor")


def test_two_users_one_draft_no_lost_update(personas, session):
    chart, _ = _start(personas, session)
    v = chart.version
    services.chart_save(actor=actor_of(personas.nurse), chart=chart, expected_version=v,
                        data=_data(chart, notes="nurse"))
    stale = services.chart_save.__wrapped__ if hasattr(services.chart_save, "__wrapped__") \
        else services.chart_save
    from puncta.charting.models import Chart

    again = Chart.objects.get(pk=chart.pk)
    with pytest.raises(services.StaleChart):
        stale(actor=actor_of(personas.aesthetician), chart=again, expected_version=v,
              data=_data(chart, notes="aesthetician"))
    assert Chart.objects.get(pk=chart.pk).content["notes"] == "nurse"


def test_todays_cold_sore_is_refused_at_the_question(personas, session):
    chart, _ = _start(personas, session, today={"answered": True, "cold_sore": True})
    assert "contraindication.active_herpes" in _codes(chart, "today")
    assert chart.verdict == "refuse"


def test_numbing_limits_and_occlusion(personas, session):
    chart, _ = _start(personas, session, numbing={
        "used": True, "product": "emla", "amount_g": "70", "area_cm2": "700",
        "occluded": True})
    assert "numbing.area_exceeded" in _codes(chart, "numbing-area_cm2")
    assert "numbing.dose_exceeded" in _codes(chart, "numbing-amount_g")
    assert "numbing.occlusion_large_area" in _codes(chart, "numbing-occluded")


def test_signing_completes_appointment_and_queues_checkin_in_patient_language(
        personas, session):
    session["patient"].preferred_language = "fr"
    session["patient"].save()
    chart, _ = _start(personas, session)
    chart = services.chart_sign(actor=actor_of(personas.aesthetician), chart=chart)
    session["appt"].refresh_from_db()
    assert session["appt"].status == "completed"
    msg = PatientMessage.objects.get(appointment=session["appt"], kind="checkin",
                                     status="queued")
    assert "peau" in msg.subject or "peau" in msg.body
    assert chart.aftercare["downtime"] == {"min": 4, "max": 5,
                                           "source": chart.aftercare["downtime"]["source"]}


def test_walk_in_has_the_same_gates(personas, clinic_ready):
    from ..factories import PatientFactory

    patient = PatientFactory(clinic=personas.clinic)  # no screening, no consent
    chart = services.chart_start_walk_in(actor=actor_of(personas.nurse), patient=patient,
                                         practitioner=personas.nurse, indication="tone")
    assert {"gate.screening.missing", "gate.consent.missing"} <= _codes(chart, "precheck")


def test_second_session_sees_first(personas, session):
    chart, _ = _start(personas, session)
    services.chart_sign(actor=actor_of(personas.aesthetician), chart=chart)
    appt2 = book(personas, session["plan"], session["device"], hour=14)
    aest = actor_of(personas.aesthetician)
    second = services.chart_start(actor=aest, appointment=appt2)
    assert "interval.too_soon" in _codes(second) or second.verdict == "refuse"
