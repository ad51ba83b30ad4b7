"""The lot (and device) of a signed chart corrected by amendment: the cartridge draw moves
to the right lot, so the recall trace of both lots is right."""

from __future__ import annotations

import pytest
from django.urls import reverse

from puncta.charting import services
from puncta.charting.models import Chart
from puncta.devices.models import CartridgeLot
from puncta.devices.selectors import lot_trace

from ..conftest import client_for
from .conftest import actor_of, make_lot
from .test_flow import _data

pytestmark = pytest.mark.django_db


def test_wrong_lot_corrected_by_amendment_moves_the_draw(personas, session):
    aest = actor_of(personas.aesthetician)
    right = make_lot(personas.clinic, session["device"], number="LOT-RIGHT")
    chart = services.chart_start(actor=aest, appointment=session["appt"])
    chart, _ = services.chart_save(actor=aest, chart=chart, expected_version=chart.version,
                                   data=_data(chart, supervisor_id=personas.physician.pk))
    chart = services.chart_attest_supervision(actor=actor_of(personas.physician), chart=chart)
    chart = services.chart_sign(actor=aest, chart=chart)
    wrong = chart.lot
    assert wrong.lot_number == "LOT-A1"
    client = client_for(personas.aesthetician)
    amend = client.get(reverse("charting:amend", args=[chart.pk])).content.decode()
    assert "Correct the device or the cartridge lot" in amend
    url = reverse("charting:correct_equipment", args=[chart.pk])
    refused = client.post(url, {"reason": "", "lot_number": "LOT-RIGHT",
                                "device": chart.device_id})
    assert refused.status_code == 422 and 'role="alert"' in refused.content.decode()
    client.post(url, {"reason": "Wrong lot scanned", "lot_number": "LOT-RIGHT",
                      "device": chart.device_id})
    chart = Chart.objects.get(pk=chart.pk)
    assert chart.lot_id == right.pk and chart.amendments.count() == 1
    amendment = chart.amendments.get()
    assert amendment.changed == ["lot_number"]
    assert amendment.before["lot_number"] == "LOT-A1"
    assert amendment.after["lot_number"] == "LOT-RIGHT"
    # the recall trace follows: the patient is on the right lot, not on the wrong one
    assert [d.patient_id for d in lot_trace([right])] == [chart.patient_id]
    assert list(lot_trace([CartridgeLot.objects.get(pk=wrong.pk)])) == []
    assert CartridgeLot.objects.get(pk=wrong.pk).quantity_left == wrong.quantity_received
    assert CartridgeLot.objects.get(pk=right.pk).quantity_left == right.quantity_received - 1
