"""Series proposal and booking: windows, supervision, gates, no double booking, re-flow."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from puncta.scheduling import services
from puncta.scheduling.models import Appointment, Status
from puncta.scheduling.series import propose_series

from ..factories import PatientFactory
from .conftest import acne_plan, actor_of, ready_patient

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("America/Toronto")


def _book(member, request):
    return services.appointment_book(actor=actor_of(member), request=request)


def _request(plan, slot, n):
    return services.Request(plan=plan, number=n, start=slot.start,
                            practitioner=slot.practitioner, room=slot.room,
                            device=slot.device, supervisor=slot.supervisor)


def test_proposes_whole_series_inside_windows(personas, plan, frozen_today):
    proposal = propose_series(plan)
    assert len(proposal) == len(plan.course["sessions"]) == 5
    previous = None
    for item in proposal:
        assert item.slot is not None, item.problems
        day = item.slot.start.astimezone(TZ).date()
        assert item.earliest <= day <= item.latest
        if previous:
            assert 42 <= (day - previous).days <= 56  # 6-8 weeks
        previous = day


def test_aesthetician_gets_a_supervising_physician_for_dermal_depth(personas, plan,
                                                                    frozen_today):
    proposal = propose_series(plan, practitioner=personas.aesthetician)
    slot = proposal[0].slot
    assert slot.practitioner == personas.aesthetician
    assert slot.supervisor == personas.physician


def test_aesthetician_without_supervision_is_refused_with_the_rule(personas, plan,
                                                                   frozen_today):
    slot = propose_series(plan)[0].slot
    req = services.Request(plan=plan, number=1, start=slot.start,
                           practitioner=personas.aesthetician, room=slot.room,
                           device=slot.device, supervisor=None)
    with pytest.raises(services.BookingRefused) as exc:
        _book(personas.front_desk, req)
    assert "supervision.required" in [r.code for r in exc.value.refusals]


def test_book_series_in_one_step(personas, plan, frozen_today):
    proposal = propose_series(plan)
    appts = services.appointment_series_book(
        actor=actor_of(personas.front_desk),
        requests=[_request(plan, p.slot, p.number) for p in proposal])
    assert [a.session_number for a in appts] == [1, 2, 3, 4, 5]
    assert all(a.rules_verdict in ("allow", "review") for a in appts)
    # proposing again shows them booked
    again = propose_series(plan)
    assert all(item.appointment is not None for item in again)


def test_gate_refuses_unscreened_patient(personas, clinic_ready, frozen_today):
    patient = PatientFactory(clinic=personas.clinic)  # no intake, no consent
    plan = acne_plan(personas, patient)
    slot = propose_series(plan)[0].slot
    with pytest.raises(services.BookingRefused) as exc:
        _book(personas.front_desk, _request(plan, slot, 1))
    codes = [r.code for r in exc.value.refusals]
    assert "screening.missing" in codes and "consent.missing" in codes


def test_no_double_booking_of_room_practitioner_or_device(personas, plan, frozen_today):
    slot = propose_series(plan)[0].slot
    _book(personas.front_desk, _request(plan, slot, 1))
    other = acne_plan(personas, ready_patient(personas))
    with pytest.raises(services.BookingRefused) as exc:
        _book(personas.front_desk, _request(other, slot, 1))
    assert "slot.taken" in [r.code for r in exc.value.refusals]
    # the proposal for the other patient avoids the taken slot
    other_slot = propose_series(other)[0].slot
    assert not (other_slot.practitioner == slot.practitioner
                and other_slot.start < slot.end and slot.start < other_slot.end
                and other_slot.room == slot.room)


def test_outside_window_needs_physician_override(personas, plan, frozen_today):
    proposal = propose_series(plan)
    _book(personas.front_desk, _request(plan, proposal[0].slot, 1))
    early = proposal[1].slot.start - dt.timedelta(days=21)
    req = services.Request(plan=plan, number=2, start=early,
                           practitioner=personas.physician, room=proposal[1].slot.room,
                           device=proposal[1].slot.device)
    with pytest.raises(services.BookingRefused) as exc:
        _book(personas.front_desk, req)
    assert "window.outside" in [r.code for r in exc.value.refusals]
    forced = services.Request(**{**req.__dict__, "override_reason": "Patient travels"})
    with pytest.raises(services.BookingRefused):  # front desk cannot override
        _book(personas.front_desk, forced)
    appt = _book(personas.physician, forced)
    assert appt.override_by == personas.physician.user


def test_moving_a_session_reflows_the_next(personas, plan, frozen_today):
    proposal = propose_series(plan)
    appts = services.appointment_series_book(
        actor=actor_of(personas.front_desk),
        requests=[_request(plan, p.slot, p.number) for p in proposal])
    first, second = appts[0], appts[1]
    later = first.start + dt.timedelta(days=14)
    services.appointment_move(actor=actor_of(personas.front_desk), appointment=first, start=later)
    second.refresh_from_db()
    first.refresh_from_db()
    gap = (second.start.astimezone(TZ).date() - first.start.astimezone(TZ).date()).days
    assert 42 <= gap <= 56, gap


def test_missed_session_moves_later_ones_up_and_reflows(personas, plan, frozen_today,
                                                        monkeypatch):
    from django.utils import timezone

    proposal = propose_series(plan)
    appts = services.appointment_series_book(
        actor=actor_of(personas.front_desk),
        requests=[_request(plan, p.slot, p.number) for p in proposal])
    # Not before its time: a session still to come cannot be missed (or completed).
    for status in (Status.MISSED, Status.COMPLETED):
        with pytest.raises(services.BookingRefused) as exc:
            services.appointment_status_set(actor=actor_of(personas.front_desk),
                                            appointment=appts[1], status=status)
        assert exc.value.refusals[0].code == "status.not_yet"
    monkeypatch.setattr(timezone, "now", lambda: appts[1].start + dt.timedelta(hours=1))
    services.appointment_status_set(actor=actor_of(personas.front_desk), appointment=appts[1],
                                    status=Status.MISSED)
    numbers = list(Appointment.objects.filter(series=plan, status="booked")
                   .order_by("start").values_list("session_number", flat=True))
    assert numbers == [1, 2, 3, 4]
    again = propose_series(plan)
    assert again[4].slot is not None  # the course still has five sessions


def test_dst_transitions_keep_wall_clock_time(personas, clinic_ready, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    for start_day, expected_utc_hour in ((dt.date(2026, 3, 9), 13),   # EDT: UTC-4
                                         (dt.date(2026, 11, 2), 14)):  # EST: UTC-5
        patient = ready_patient(personas)
        plan = acne_plan(personas, patient, start=start_day)
        slot = propose_series(plan)[0].slot
        appt = _book(personas.front_desk, _request(plan, slot, 1))
        local = appt.start.astimezone(TZ)
        assert local.time() == dt.time(8, 30)  # 30 min numbing before the 9:00 treatment
        assert appt.treat_start.astimezone(dt.UTC).hour == expected_utc_hour
        assert appt.treat_start.astimezone(TZ).time() == dt.time(9, 0)


def test_sessions_keep_their_order_even_with_override(personas, plan, frozen_today):
    proposal = propose_series(plan)
    first = _book(personas.front_desk, _request(plan, proposal[0].slot, 1))
    same_day = services.Request(plan=plan, number=2, start=first.start + dt.timedelta(hours=3),
                                practitioner=personas.physician, room=first.room,
                                device=first.device, override_reason="Patient insists")
    with pytest.raises(services.BookingRefused) as exc:
        _book(personas.physician, same_day)
    assert "series.order" in [r.code for r in exc.value.refusals]


def test_missed_only_at_or_after_the_start(personas, plan, frozen_today, monkeypatch):
    """Defect: a January appointment could be marked missed in November."""
    from django.utils import timezone

    proposal = propose_series(plan)
    appt = services.book(actor_of(personas.front_desk), _request(plan, proposal[0].slot, 1))
    with pytest.raises(services.BookingRefused) as exc:
        services.set_status(actor_of(personas.front_desk), appt, Status.MISSED, reason="x")
    assert exc.value.refusals[0].code == "status.not_yet"
    appt.refresh_from_db()
    assert appt.status == "booked"
    monkeypatch.setattr(timezone, "now", lambda: appt.start)
    services.set_status(actor_of(personas.front_desk), appt, Status.MISSED, reason="no show")
    appt.refresh_from_db()
    assert appt.status == "missed"
