"""The charting journey in a real browser: an aesthetician charts a dermal session, the
rules refuse it at the supervisor field until the physician is added, she signs, the
physician co-signs from the queue, the aftercare PDF downloads, an amendment keeps both
versions and the lot's recall trace lists the session."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from puncta.charting.models import Chart

from ..charting.conftest import DAY, TZ, book, make_lot
from ..factories import PASSWORD
from ..scheduling.conftest import acne_plan, clinic_ready, ready_patient  # noqa: F401
from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _afternoon_of_the_session(monkeypatch):
    # Sessions are booked at 10:00 on DAY; a chart is signed after its session. The clinic's
    # clock reads django.utils.timezone.now (time-machine's C hooks do not mix with the
    # browser driver's greenlets, so the clock is patched at that one door).
    from django.utils import timezone

    at = dt.datetime.combine(DAY, dt.time(15), tzinfo=TZ)
    monkeypatch.setattr(timezone, "now", lambda: at)


def test_chart_sign_cosign_aftercare_amend_trace(page, personas, clinic_ready):  # noqa: F811
    from django.utils import timezone

    device = clinic_ready["device"]
    patient = ready_patient(personas, given_name="Chloé", family_name="Roy")
    plan = acne_plan(personas, patient, start=timezone.localdate())
    make_lot(personas.clinic, device, number="LOT-77")
    book(personas, plan, device)  # the aesthetician, no supervisor

    login(page, "aesthetician", PASSWORD)
    page.get_by_role("link", name="Charts").first.click()
    page.get_by_role("button", name="Start the chart for Chloé Roy").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Session chart")
    expect(page.get_by_label("Cheek", exact=True)).to_have_value("1.50")  # from the plan
    # The rules refuse a dermal depth without supervision, next to the supervisor field.
    expect(page.locator("#fb-supervisor")).to_contain_text("Refuse")
    page.get_by_label("I asked today's questions").check()
    page.get_by_label("Numbing product").select_option("emla")
    page.get_by_label("Amount (g)").fill("10")
    page.get_by_label("Area (cm²)").fill("100")
    page.get_by_label("Cartridge lot number (scan or type)").fill("LOT-77")
    page.get_by_label("Cheek", exact=True).fill("1,5")
    page.get_by_label("Cheek", exact=True).blur()
    expect(page.locator("#fb-zone-cheek")).to_contain_text("Use a point for decimals")
    page.get_by_label("Cheek", exact=True).fill("1.5")
    page.get_by_label("Cheek", exact=True).blur()
    expect(page.locator("#fb-zone-cheek")).not_to_contain_text("Use a point")
    expect(page.locator("#save-status")).to_contain_text("Draft saved")
    expect(page.locator("#fb-supervisor")).to_contain_text("supervis")
    page.get_by_label("Supervising physician").select_option(str(personas.physician.pk))
    # Naming the physician is not enough: they attest supervising, signed in as themselves.
    expect(page.locator("#fb-supervisor")).to_contain_text("attest")
    chart_url = page.url
    page.get_by_role("button", name="Sign out").click()
    login(page, "physician", PASSWORD)
    page.goto(chart_url)
    page.get_by_role("button", name="I supervised this session").click()
    expect(page.locator("#supervision")).to_contain_text("Supervision attested by")
    page.get_by_role("button", name="Sign out").click()
    login(page, "aesthetician", PASSWORD)
    page.goto(chart_url)
    expect(page.locator("#fb-supervisor")).not_to_contain_text("Refuse")
    expect(page.locator("#cosign-needed")).to_be_visible()
    page.get_by_role("button", name="Sign the chart").click()
    expect(page.locator("#chart-status")).to_contain_text("awaiting co-signature")
    chart = Chart.objects.get(patient=patient)
    assert chart.lot_draw is not None and len(chart.sha256) == 64

    page.get_by_role("button", name="Sign out").click()
    login(page, "physician", PASSWORD)
    page.get_by_role("link", name="Co-sign queue").first.click()
    page.locator("#cosign-queue").get_by_role("link", name="Chloé Roy").click()
    page.get_by_label("Note", exact=True).fill("Reviewed: dermal depth under my supervision.")
    page.get_by_role("button", name="Co-sign the chart").click()
    expect(page.locator("#chart-status")).to_contain_text("Signed and locked")

    with page.expect_download() as dl:
        page.locator("#aftercare-pdf").click()
    assert dl.value.suggested_filename.endswith(".pdf")
    with open(dl.value.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"

    page.get_by_role("link", name="Write an amendment").click()
    page.get_by_label("Reason for the amendment").fill("Depth was 1.25 mm on the cheeks.")
    page.get_by_label("Cheek", exact=True).fill("1.25")
    page.get_by_role("button", name="Record the amendment").click()
    amendment = page.locator("#amendment-1")
    expect(amendment).to_contain_text("Depth was 1.25 mm")
    expect(amendment.locator("table").first).to_contain_text("1.50")  # before
    expect(amendment.locator("table").nth(1)).to_contain_text("1.25")  # after

    page.get_by_role("link", name="Recall trace").click()
    expect(page.locator("main")).to_contain_text("Chloé Roy")
    expect(page.locator("main")).to_contain_text(f"chart:{chart.pk}")
