"""Issue journey: intake link → patient on a phone → physician review → consent → PDF."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from puncta.consent.models import Consent
from puncta.patients.models import Screening

from ..factories import PASSWORD, PatientFactory
from .conftest import draw_signature, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_intake_review_consent_and_pdf(browser, live_server, page, personas):
    patient = PatientFactory(clinic=personas.clinic, given_name="Élise", family_name="Roy")
    unscreened = PatientFactory(clinic=personas.clinic, given_name="Marc", family_name="Noir")

    # Front desk creates the link.
    login(page, "desk", PASSWORD)
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("button", name="Create an intake link").click()
    url = page.get_by_label("Link", exact=True).input_value()
    assert "/intake/" in url
    expect(page.locator(".qr svg")).to_be_visible()

    # The patient fills it on a phone-sized screen, without an account.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-CA",
                                is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.goto(url)
    expect(mobile.get_by_role("heading", name="Health questionnaire")).to_be_visible()
    mobile.get_by_label("Acne scars").check()
    herpes = mobile.locator("#q-cond-herpes_simplex_history")
    herpes.get_by_label("Yes", exact=True).check()
    expect(mobile.locator("#save-status")).to_have_text(re.compile("All answers saved"))
    # A reload keeps what was typed (saved as it goes).
    mobile.reload()
    expect(herpes.get_by_label("Yes", exact=True)).to_be_checked()
    # Safety questions start unanswered: skimming to the end does not submit a clean history.
    mobile.get_by_role("button", name="Submit my answers").click()
    expect(mobile.locator("[role=alert]").first).to_contain_text("need attention")
    expect(mobile.locator("#q-pregnant")).to_contain_text("Please answer this question.")
    for radio in mobile.locator(
            ".question:not(#q-cond-herpes_simplex_history) input[type=radio][value=no]").all():
        radio.check()
    mobile.get_by_role("button", name="Submit my answers").click()
    expect(mobile.get_by_role("heading", name="Thank you")).to_be_visible()
    phone.close()
    assert Screening.objects.get(patient=patient).result == "review"

    # The physician finds it in the queue and approves with a note.
    page.get_by_role("button", name="Sign out").click()
    login(page, "physician", PASSWORD)
    page.get_by_role("link", name="Reviews").click()
    page.get_by_role("row", name=re.compile("Élise Roy")).get_by_role("link",
                                                                        name="Review").click()
    expect(page.get_by_text(re.compile("Relative contraindication"))).to_be_visible()
    page.get_by_label("Approve").check()
    page.get_by_label(re.compile("Conditions")).fill("Valacyclovir from 2 days before")
    page.get_by_label(re.compile("Note")).fill("History only; prophylaxis is enough.")
    page.get_by_role("button", name="Sign decision").click()
    expect(page.get_by_text("Nothing to review.")).to_be_visible()

    # The patient signs the consent on screen.
    page.goto(f"/patients/{patient.pk}/consent/microneedling/sign/?lang=en")
    draw_signature(page)
    page.get_by_label(re.compile("I have read and understood")).check()
    page.get_by_role("button", name="Sign consent").click()
    expect(page.locator(".error")).to_have_count(0)
    expect(page.get_by_text("Consent recorded.")).to_be_visible()
    consent = Consent.objects.get(patient=patient)
    assert len(consent.signature_strokes[0]) >= 10

    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    path = download.value.path()
    assert open(path, "rb").read(4) == b"%PDF"

    # Screening approved and consent signed: ready. The other patient is refused.
    page.goto(f"/patients/{patient.pk}/")
    expect(page.locator("#readiness")).to_contain_text("Yes: screening and consent")
    page.goto(f"/patients/{unscreened.pk}/")
    expect(page.locator("#readiness")).to_contain_text("No screening")
    page.locator("#readiness").get_by_role("link", name="Fix").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Intake questionnaire")
