"""Device pages: list with badges, form errors next to fields, lots, draws, trace, scoping."""

from __future__ import annotations

import pytest
from django.urls import reverse

from puncta.audit.models import AuditEvent
from puncta.devices.models import CartridgeLot, Device, LotDraw

from ..conftest import client_for
from ..factories import PatientFactory

pytestmark = pytest.mark.django_db

NEW = {"kind": "pen", "manufacturer": "Demo", "model_name": "DemoPen Pro",
       "serial_number": "W-1", "intended_use": "professional", "max_depth_mm": "2.5",
       "status": "in_service", "needle_counts_text": "36, 12", "licence_authority": "HC",
       "licence_number": " 0099001", "fda_class": "2"}


def test_list_shows_licence_badges(personas, pen):
    html = client_for(personas.front_desk).get(reverse("devices:device_list")).content.decode()
    assert "SN-1" in html and 'class="badge ok"' in html and "Licensed" in html


def test_create_device_with_hc_licence(personas, registry):
    client = client_for(personas.clinic_admin)
    response = client.post(reverse("devices:device_create"), NEW)
    device = Device.objects.get(serial_number="W-1")
    assert response.status_code == 302
    assert device.licence.number == "99001" and device.needle_counts == [12, 36]
    assert device.licence.name == "DEMO MICRONEEDLING PEN SYSTEM"
    assert AuditEvent.objects.filter(object_type="devices.device", action="create").exists()


def test_duplicate_serial_error_is_next_to_the_field(personas, pen):
    client = client_for(personas.nurse)
    response = client.post(reverse("devices:device_create"), {**NEW, "serial_number": "SN-1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_serial_number-error"' in html and "already has a device" in html
    assert Device.objects.filter(serial_number="SN-1").count() == 1


def test_unknown_hc_licence_error_is_next_to_the_field(personas, registry):
    response = client_for(personas.nurse).post(reverse("devices:device_create"),
                                               {**NEW, "licence_number": "55555"})
    assert 'id="id_licence_number-error"' in response.content.decode()
    assert not Device.objects.exists()


def test_front_desk_cannot_create_devices(personas):
    assert client_for(personas.front_desk).get(
        reverse("devices:device_create")).status_code == 403


def test_other_clinic_sees_nothing(personas, pen, lot):
    client = client_for(personas.other_clinic_user)
    assert client.get(reverse("devices:device_detail", args=[pen.pk])).status_code == 404
    assert client.get(reverse("devices:lot_detail", args=[lot.pk])).status_code == 404
    assert client.get(reverse("devices:lot_trace", args=[lot.pk])).status_code == 404
    assert "SN-1" not in client.get(reverse("devices:device_list")).content.decode()


def test_edit_device_and_log_cleaning(personas, pen):
    client = client_for(personas.nurse)
    data = {**NEW, "serial_number": "SN-1", "status": "out_of_service"}
    assert client.post(reverse("devices:device_edit", args=[pen.pk]), data).status_code == 302
    pen.refresh_from_db()
    assert pen.status == "out_of_service" and pen.version == 2
    response = client.post(reverse("devices:device_log", args=[pen.pk]),
                           {"kind": "cleaning", "on": "2025-01-02", "note": "Autoclaved"})
    assert response.status_code == 302
    assert pen.log_entries.get().note == "Autoclaved"


def test_receive_lot_and_draw_and_trace(personas, pen, cartridge):
    client = client_for(personas.physician)
    response = client.post(reverse("devices:lot_list"), {
        "lot-product": cartridge.pk, "lot-lot_number": "WEB-7", "lot-expiry": "2099-01-01",
        "lot-quantity": "1"})
    assert response.status_code == 302
    lot = CartridgeLot.objects.get(lot_number="WEB-7")
    patient = PatientFactory(clinic=personas.clinic, given_name="Lea", family_name="Roy")
    url = reverse("devices:lot_detail", args=[lot.pk])
    assert client.post(url, {"device": pen.pk, "patient_mrn": patient.mrn,
                             "reference": "chart:1"}).status_code == 302
    refused = client.post(url, {"device": pen.pk})
    assert "no cartridges left" in refused.content.decode()
    assert LotDraw.objects.count() == 1
    trace = client.get(reverse("devices:lot_trace", args=[lot.pk])).content.decode()
    assert "Lea Roy" in trace and "chart:1" in trace
    csv_response = client.get(reverse("devices:lot_trace", args=[lot.pk]) + "?format=csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert "Lea Roy" in csv_response.content.decode()
    assert AuditEvent.objects.filter(action="export", patient_id=patient.pk).count() == 2


def test_unknown_patient_record_number_error(personas, pen, lot):
    response = client_for(personas.nurse).post(
        reverse("devices:lot_detail", args=[lot.pk]), {"device": pen.pk, "patient_mrn": "ZZZ"})
    assert 'id="id_patient_mrn-error"' in response.content.decode()


def test_trace_needs_permission(personas, lot):
    assert client_for(personas.nurse).get(
        reverse("devices:lot_trace", args=[lot.pk])).status_code == 403


def test_registry_lookup(personas, registry):
    client = client_for(personas.front_desk)
    html = client.get(reverse("devices:registry"), {"q": "99003"}).content.decode()
    assert "DEMO COSMETIC ROLLER" in html and "Class II" in html
