"""A quarantined lot blocks draws and lists the patients already treated from it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from puncta.devices.models import CartridgeLot
from puncta.devices.services import DrawRefused, lot_draw

from ..conftest import client_for
from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_quarantine_blocks_draws_and_lists_treated_patients(personas, pen, lot, actor,
                                                            patient):
    lot_draw(actor=actor, lot=lot, device=pen, patient=patient, reference="chart:1",
             on=TODAY)
    nurse = client_for(personas.nurse)
    url = reverse("devices:lot_detail", args=[lot.pk])
    assert "Quarantine this lot" in nurse.get(url).content.decode()
    nurse.post(url, {"action": "quarantine", "reason": ""})
    assert not CartridgeLot.objects.get(pk=lot.pk).quarantined  # a reason is required
    nurse.post(url, {"action": "quarantine", "reason": "Manufacturer recall R-12"})
    lot.refresh_from_db()
    assert lot.quarantined and lot.quarantine_reason == "Manufacturer recall R-12"
    with pytest.raises(DrawRefused) as exc:
        lot_draw(actor=actor, lot=lot, device=pen, patient=patient, on=TODAY)
    assert exc.value.code == "quarantined"
    # the physician (recall trace permission) sees who was treated from it
    html = client_for(personas.physician).get(url).content.decode()
    assert 'id="treated"' in html and patient.full_name in html and "R-12" in html
    # the front desk may not quarantine
    assert client_for(personas.front_desk).post(
        url, {"action": "release", "reason": "x"}).status_code == 403
    nurse.post(url, {"action": "release", "reason": "Recall withdrawn by the maker"})
    lot.refresh_from_db()
    assert not lot.quarantined
    lot_draw(actor=actor, lot=lot, device=pen, patient=patient, on=TODAY)
