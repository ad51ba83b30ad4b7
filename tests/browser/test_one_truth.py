"""Two journeys of the issue "One clinical truth", in a real browser:

- a 16-year-old's consent: the page asks for a parent or guardian, refuses the minor
  signing alone, and records the parent with their relationship; the gate then opens;
- a nurse charts a second session on the same skin on the same day (another course): the
  rules refuse it at the session block and it cannot be signed.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from puncta.charting import services as charting
from puncta.consent.models import Consent

from ..charting.conftest import DAY, TZ, book, make_lot
from ..charting.test_flow import _data
from ..factories import PASSWORD
from ..scheduling.conftest import acne_plan, actor_of, clinic_ready, ready_patient  # noqa: F401
from .conftest import draw_signature, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _afternoon_of_the_session(monkeypatch):
    # Sessions are booked at 10:00 on DAY; a chart is signed after its session. The clinic's
    # clock reads django.utils.timezone.now (time-machine's C hooks do not mix with the
    # browser driver's greenlets, so the clock is patched at that one door).
    from django.utils import timezone

    at = dt.datetime.combine(DAY, dt.time(15), tzinfo=TZ)
    monkeypatch.setattr(timezone, "now", lambda: at)


@pytest.mark.parametrize(("lang", "viewport"), [("en", (1024, 768)), ("fr", (820, 1180))])
def test_minor_consent_is_signed_by_a_guardian(page, personas, clinic_ready, lang,  # noqa: F811
                                               viewport):
    personas.clinic.jurisdiction = "CA-ON"
    personas.clinic.save()
    minor = ready_patient(personas, consents=(), given_name="Léa", family_name="Gagnon",
                          date_of_birth=dt.date(2010, 5, 1))
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    personas.nurse.user.language = lang
    personas.nurse.user.save()
    login(page, "nurse", PASSWORD) if lang == "en" else _login_fr(page)
    page.goto(f"/patients/{minor.pk}/consent/microneedling/sign/?lang={lang}")
    guardian = page.locator("#relationship")
    expect(page.locator("label[for=relationship]")).to_contain_text(
        "guardian" if lang == "en" else "tuteur")
    # The minor signs alone: refused, next to the field, as an alert.
    page.locator("#signer_name").fill("Léa Gagnon")
    draw_signature(page)
    page.locator("input[name=understood]").first.check()
    page.locator("form").filter(has=page.locator("#sig-pad")).locator(
        "button[type=submit]").click()
    expect(page.locator("#relationship-error")).to_be_visible()
    expect(page.locator("#relationship-error")).to_have_attribute("role", "alert")
    expect(page.locator("#paper_relationship-error")).to_have_count(0)  # only where it was
    assert not Consent.objects.filter(patient=minor).exists()
    # Her mother signs, as parent.
    guardian.select_option("parent")
    page.locator("#signer_name").fill("Marie Gagnon")
    draw_signature(page)
    page.locator("input[name=understood]").first.check()
    page.locator("form").filter(has=page.locator("#sig-pad")).locator(
        "button[type=submit]").click()
    consent = Consent.objects.get(patient=minor)
    assert (consent.signer_name, consent.signer_relationship) == ("Marie Gagnon", "parent")
    page.goto(f"/patients/{minor.pk}/")
    expect(page.get_by_text(re.compile("Marie Gagnon"))).to_have_count(0)  # not on the summary
    expect(page.locator("body")).not_to_contain_text("guardian must sign")


def _login_fr(page):
    page.goto("/login/")
    page.locator("#id_username").fill("nurse")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/")


def test_nurse_is_refused_the_same_skin_twice_in_a_day(page, personas,
                                                        clinic_ready):  # noqa: F811
    device = clinic_ready["device"]
    patient = ready_patient(personas, given_name="Chloé", family_name="Roy")
    make_lot(personas.clinic, device, number="LOT-9")
    # Morning: acne scars on the cheeks, charted and signed by the physician.
    morning = book(personas, acne_plan(personas, patient, start=DAY), device,
                   practitioner=personas.physician, on=DAY, hour=9)
    doctor = actor_of(personas.physician)
    chart = charting.chart_start(actor=doctor, appointment=morning)
    chart, _ = charting.chart_save(actor=doctor, chart=chart, expected_version=chart.version,
                                   data=_data(chart, lot_number="LOT-9"))
    charting.chart_sign(actor=doctor, chart=chart)
    # Afternoon, booked weeks ago in another course: the nurse starts the chart.
    from decimal import Decimal

    from puncta.plans.services import plan_save

    lines = plan_save(actor=doctor, patient=patient, indication="fine_lines", severity="mild",
                      start=DAY, device_type="pen", goals="", numbing_minutes=30,
                      zones=[("cheek", Decimal("0.5"), 2)])
    book(personas, lines, device, practitioner=personas.nurse, on=DAY, hour=13)
    page.set_viewport_size({"width": 1024, "height": 768})
    login(page, "nurse", PASSWORD)
    page.get_by_role("link", name="Charts").first.click()
    page.get_by_role("button", name="Start the chart for Chloé Roy").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session chart")
    expect(page.locator("#chart-verdict")).to_contain_text("refused")
    expect(page.locator("body")).to_contain_text("already treated today")
    page.get_by_role("button", name="Sign the chart").click()
    expect(page.locator("body")).to_contain_text("A refused chart cannot be signed")
