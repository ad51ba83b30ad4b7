"""Concurrent bookings of the same slot: exactly one succeeds, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from puncta.scheduling import services
from puncta.scheduling.models import Appointment
from puncta.scheduling.series import propose_series

from .conftest import acne_plan, actor_of, ready_patient

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_bookings_of_one_slot(personas, clinic_ready, frozen_today):
    plans = [acne_plan(personas, ready_patient(personas)) for _ in range(4)]
    slot = propose_series(plans[0])[0].slot
    barrier = threading.Barrier(len(plans))
    results: list[str] = []

    def attempt(plan):
        try:
            barrier.wait(timeout=10)
            services.appointment_book(actor=actor_of(personas.front_desk), request=services.Request(
                plan=plan, number=1, start=slot.start, practitioner=slot.practitioner,
                room=slot.room, device=slot.device, supervisor=slot.supervisor))
            results.append("booked")
        except services.BookingRefused as exc:
            results.append(",".join(r.code for r in exc.refusals))
        except Exception as exc:  # any other failure is a failure of the test
            results.append(f"error: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == len(plans), results
    assert sorted(results).count("booked") == 1, results
    assert all("slot.taken" in r for r in results if r != "booked"), results
    assert Appointment.objects.count() == 1
