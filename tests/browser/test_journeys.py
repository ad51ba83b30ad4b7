"""The main journeys of the foundation, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from puncta.patients.models import Patient

from ..factories import PASSWORD, PatientFactory
from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_find_patient_and_open_record(page, personas):
    PatientFactory(clinic=personas.clinic, given_name="Hélène", family_name="Tremblay")
    PatientFactory(clinic=personas.clinic, given_name="Marc", family_name="Gagnon")
    login(page, "desk", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text(personas.clinic.name)
    page.get_by_role("link", name="Patients").first.click()
    page.get_by_label("Search by name").fill("helene")  # htmx live search, accent-free
    rows = page.locator("#patient-rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Tremblay")
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hélène Tremblay")


def test_wrong_password_shows_error(page, personas):
    page.goto("/login/")
    page.get_by_label("Username").fill("desk")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")


def test_create_patient_with_invalid_field_then_fix(page, personas):
    login(page, "nurse", PASSWORD)
    page.goto("/patients/new/")
    page.get_by_label("Given name").fill("Zoé")
    page.get_by_label("Family name").fill("Côté")
    page.get_by_label("Date of birth").fill("2999-01-01")
    page.get_by_label("Phone").fill("819 555 0199")
    page.get_by_label("Acne scars").check()
    page.get_by_role("button", name="Create patient").click()
    expect(page.locator("#id_date_of_birth-error")).to_have_text(
        "The date of birth cannot be in the future.")
    assert not Patient.objects.filter(family_name="Côté").exists()
    expect(page.get_by_label("Family name")).to_have_value("Côté")  # nothing typed is lost
    page.get_by_label("Date of birth").fill("1991-07-14")
    page.get_by_role("button", name="Create patient").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Zoé Côté")
    expect(page.get_by_text("Acne scars")).to_be_visible()
    assert Patient.objects.get(family_name="Côté").concerns == ["acne_scars"]


def test_switch_to_french(page, personas):
    login(page, "nurse", PASSWORD)
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("link", name="Patients")).to_be_visible()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
