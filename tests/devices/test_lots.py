"""Receiving lots and drawing cartridges: refusals, the conditional stock update, and
two concurrent draws of the last unit on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from puncta.audit.models import AuditEvent
from puncta.devices.models import CartridgeLot, LotDraw
from puncta.devices.selectors import lot_trace
from puncta.devices.services import DrawRefused, device_update, lot_draw, lot_receive

from ..factories import PatientFactory
from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_draw_records_who_what_and_for_whom(lot, pen, actor, personas):
    patient = PatientFactory(clinic=personas.clinic)
    draw = lot_draw(actor=actor, lot=lot, device=pen, patient=patient,
                    reference="chart:123", on=TODAY)
    assert lot.quantity_left == 2
    assert CartridgeLot.objects.get(pk=lot.pk).quantity_left == 2
    assert (draw.patient, draw.device, draw.reference, draw.on) == (patient, pen,
                                                                    "chart:123", TODAY)
    assert draw.drawn_by == personas.nurse.user
    event = AuditEvent.objects.get(object_type="devices.lotdraw", object_id=str(draw.pk))
    assert event.patient_id == patient.pk and event.action == "create"
    assert list(lot_trace([lot])) == [draw]


def test_lot_is_usable_on_its_expiry_date_and_refused_the_day_after(lot, pen, actor):
    lot_draw(actor=actor, lot=lot, device=pen, on=lot.expiry)
    with pytest.raises(DrawRefused) as exc:
        lot_draw(actor=actor, lot=lot, device=pen, on=lot.expiry + dt.timedelta(days=1))
    assert exc.value.code == "expired" and "expired" in exc.value.message
    assert CartridgeLot.objects.get(pk=lot.pk).quantity_left == 2


def test_incompatible_cartridge_is_refused(lot, pen, actor):
    device_update(actor=actor, device=pen, model_name="Other Pen")
    pen.refresh_from_db()
    with pytest.raises(DrawRefused) as exc:
        lot_draw(actor=actor, lot=lot, device=pen, on=TODAY)
    assert exc.value.code == "incompatible" and "Other Pen" in exc.value.message


def test_device_out_of_service_is_refused(lot, pen, actor):
    pen = device_update(actor=actor, device=pen, status="out_of_service")
    with pytest.raises(DrawRefused, match="not in service"):
        lot_draw(actor=actor, lot=lot, device=pen, on=TODAY)


def test_patient_of_another_clinic_is_refused(lot, pen, actor, other_patient):
    with pytest.raises(DrawRefused) as exc:
        lot_draw(actor=actor, lot=lot, device=pen, patient=other_patient, on=TODAY)
    assert exc.value.code == "other_clinic"


def test_empty_lot_is_refused(lot, pen, actor):
    for _ in range(3):
        lot_draw(actor=actor, lot=lot, device=pen, on=TODAY)
    with pytest.raises(DrawRefused) as exc:
        lot_draw(actor=actor, lot=lot, device=pen, on=TODAY)
    assert exc.value.code == "empty"
    assert LotDraw.objects.filter(lot=lot).count() == 3


def test_stale_lot_object_cannot_overdraw(lot, pen, actor):
    """The check is the UPDATE's condition, not the count in memory: a lot read when one
    unit was left is refused once another draw has taken it."""
    CartridgeLot.objects.filter(pk=lot.pk).update(quantity_left=0)
    assert lot.quantity_left == 3  # stale in memory
    with pytest.raises(DrawRefused) as exc:
        lot_draw(actor=actor, lot=lot, device=pen, on=TODAY)
    assert exc.value.code == "empty"
    assert not LotDraw.objects.exists()


def test_receiving_the_same_lot_twice_is_refused(lot, cartridge, actor):
    with pytest.raises(ValidationError) as exc:
        lot_receive(actor=actor, product=cartridge, lot_number=" L-100 ", expiry=TODAY,
                    quantity=1)
    assert "lot_number" in exc.value.message_dict


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="two connections writing at once need PostgreSQL")
def test_concurrent_draws_of_the_last_unit_exactly_one_wins(lot, pen, actor):
    CartridgeLot.objects.filter(pk=lot.pk).update(quantity_left=1)
    lot.refresh_from_db()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def draw() -> None:
        try:
            barrier.wait(timeout=10)
            lot_draw(actor=actor, lot=lot, device=pen, on=TODAY)
            results.append("ok")
        except DrawRefused as exc:
            results.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=draw) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["empty", "ok"]
    assert CartridgeLot.objects.get(pk=lot.pk).quantity_left == 0
    assert LotDraw.objects.filter(lot=lot).count() == 1
