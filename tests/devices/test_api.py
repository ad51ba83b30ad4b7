"""Devices over the JSON API: list, read, verify, lots, draw, trace; clinic-scoped."""

from __future__ import annotations

import pytest
from django.test import Client

from puncta.accounts.models import ApiToken
from puncta.devices.models import LotDraw

from ..factories import PatientFactory

pytestmark = pytest.mark.django_db


def _api(membership) -> Client:
    _, raw = ApiToken.issue(membership, "test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_list_and_read_devices(personas, pen):
    api = _api(personas.nurse)
    items = api.get("/api/v1/devices").json()["items"]
    assert [d["serial_number"] for d in items] == ["SN-1"]
    assert items[0]["licence_state"] == "licensed" and items[0]["licence"]["number"] == "99001"
    assert api.get(f"/api/v1/devices/{pen.pk}").json()["max_depth_mm"] == 2.5
    assert _api(personas.other_clinic_user).get(f"/api/v1/devices/{pen.pk}").status_code == 404


def test_verify(personas, registry):
    api = _api(personas.front_desk)
    body = api.get("/api/v1/devices/licences/verify",
                   {"number": "099 003", "on": "2025-06-01"}).json()
    assert body["class"] == 1 and body["found"] and not body[
        "licensed_for_medical_microneedling"]
    assert api.get("/api/v1/devices/licences/verify", {"number": "1"}).json()["found"] is False


def test_receive_draw_trace(personas, pen, cartridge):
    api = _api(personas.physician)
    r = api.post("/api/v1/devices/lots", {"product_id": cartridge.pk, "lot_number": "API-1",
                                          "expiry": "2099-01-01", "quantity": 1},
                 content_type="application/json")
    assert r.status_code == 201, r.content
    lot_id = r.json()["id"]
    lots = api.get("/api/v1/devices/lots").json()["items"]
    assert [lot["lot_number"] for lot in lots] == ["API-1"]
    patient = PatientFactory(clinic=personas.clinic)
    r = api.post(f"/api/v1/devices/lots/{lot_id}/draws",
                 {"device_id": pen.pk, "patient_id": patient.pk, "reference": "chart:5"},
                 content_type="application/json")
    assert r.status_code == 201 and r.json()["quantity_left"] == 0
    r = api.post(f"/api/v1/devices/lots/{lot_id}/draws", {"device_id": pen.pk},
                 content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "empty"
    trace = api.get(f"/api/v1/devices/lots/{lot_id}/trace").json()["items"]
    assert [(row["patient_id"], row["reference"]) for row in trace] == [(patient.pk, "chart:5")]


def test_draw_scoping_and_permissions(personas, pen, lot, other_patient):
    api = _api(personas.nurse)
    r = api.post(f"/api/v1/devices/lots/{lot.pk}/draws",
                 {"device_id": pen.pk, "patient_id": other_patient.pk},
                 content_type="application/json")
    assert r.status_code == 404  # another clinic's patient is not found
    assert _api(personas.front_desk).post(
        f"/api/v1/devices/lots/{lot.pk}/draws", {"device_id": pen.pk},
        content_type="application/json").status_code == 403
    assert api.get(f"/api/v1/devices/lots/{lot.pk}/trace").status_code == 403
    assert _api(personas.other_clinic_user).post(
        f"/api/v1/devices/lots/{lot.pk}/draws", {"device_id": pen.pk},
        content_type="application/json").status_code == 404
    assert not LotDraw.objects.exists()
