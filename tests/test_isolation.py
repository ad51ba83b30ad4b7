"""A user of clinic B can neither read nor guess clinic A's records: 404, not 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from puncta.accounts.models import ApiToken

from .conftest import client_for

pytestmark = pytest.mark.django_db


def test_other_clinic_patient_page_is_404(personas, patient):
    client = client_for(personas.other_clinic_user)
    for name in ("web:patient_detail", "web:patient_edit"):
        response = client.get(reverse(name, args=[patient.pk]))
        assert response.status_code == 404, name
        assert patient.family_name not in response.content.decode()


def test_other_clinic_cannot_edit_by_post(personas, patient):
    client = client_for(personas.other_clinic_user)
    response = client.post(reverse("web:patient_edit", args=[patient.pk]),
                           {"given_name": "Hacked", "family_name": "X",
                            "date_of_birth": "1990-01-01", "sex_at_birth": "unknown",
                            "preferred_language": "en"})
    assert response.status_code == 404
    patient.refresh_from_db()
    assert patient.given_name == "Hélène"


def test_other_clinic_search_lists_nothing_of_clinic_a(personas, patient, other_patient):
    client = client_for(personas.other_clinic_user)
    body = client.get(reverse("web:patient_list"), {"q": "Tremblay"}).content.decode()
    assert "Hélène" not in body and f"/patients/{patient.pk}/" not in body
    body = client.get(reverse("web:patient_list")).content.decode()
    assert "Bay" in body and "Tremblay" not in body


def test_same_clinic_sees_patient(personas, patient):
    response = client_for(personas.front_desk).get(
        reverse("web:patient_detail", args=[patient.pk]))
    assert response.status_code == 200
    assert "Tremblay" in response.content.decode()


def test_api_other_clinic_is_404(personas, patient):
    _, raw = ApiToken.issue(personas.other_clinic_user, "t")
    headers = {"Authorization": f"Bearer {raw}"}
    from django.test import Client

    c = Client()
    assert c.get(f"/api/v1/patients/{patient.pk}", headers=headers).status_code == 404
    r = c.patch(f"/api/v1/patients/{patient.pk}", data={"given_name": "X"},
                content_type="application/json", headers=headers)
    assert r.status_code == 404
    listing = c.get("/api/v1/patients", {"q": "Tremblay"}, headers=headers).json()
    assert listing["count"] == 0


def test_unknown_ids_are_404_not_500(personas):
    client = client_for(personas.physician)
    assert client.get("/patients/999999999/").status_code == 404
    assert client.get("/patients/99999999999999999999999/").status_code == 404
