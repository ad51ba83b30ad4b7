"""Two-step sign-in in a real browser: a physician who must use it enrols (QR code and
key, code computed here from the key shown), keeps the recovery codes, signs out, and
signs in again with password and code; in French too."""

from __future__ import annotations

import base64
import time

import pytest
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from ..factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code(key: bytes, after: int = -1) -> str:
    """The TOTP code for now, from the key, never a time step already used."""
    t = max(int(time.time() // 30), after + 1)
    return f"{hotp(key, t):06d}"


def password_step(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_enrol_then_sign_in_with_a_code(page, personas, settings):
    settings.PUNCTA_MFA_REQUIRED_ROLES = ["physician"]
    password_step(page, "physician")
    page.wait_for_url("**/account/mfa/?next=*")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
    expect(page.locator(".qr svg")).to_be_visible()
    typed = page.locator("#mfa-key").inner_text().replace(" ", "")
    key = base64.b32decode(typed + "=" * (-len(typed) % 8))
    page.get_by_label("Code from the app").fill("123")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    # A wrong code throttles the device for a second (django-otp); lift it, no sleeping.
    TOTPDevice.objects.filter(user=personas.physician.user).update(
        throttling_failure_count=0)
    page.get_by_label("Code from the app").fill(code(key))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(personas.clinic.name)
    page.get_by_role("button", name="Sign out").click()

    password_step(page, "physician")
    page.wait_for_url("**/account/mfa/verify/*")
    last = TOTPDevice.objects.get(user=personas.physician.user).last_t
    page.get_by_label("Code").fill(code(key, after=last))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(personas.clinic.name)
    page.get_by_role("link", name="Patients").first.click()
    expect(page).to_have_url(f"{page.url.split('/patients')[0].rstrip('/')}/patients/")


def test_enrolment_page_in_french(page, personas, settings):
    settings.PUNCTA_MFA_REQUIRED_ROLES = ["physician"]
    user = personas.physician.user
    user.language = "fr"
    user.save()
    password_step(page, "physician")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Configurer la connexion en deux étapes")
