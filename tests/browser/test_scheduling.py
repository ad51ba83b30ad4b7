"""Issue journey: plan a course, book the series, supervision, move and re-flow, reminders."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from puncta.clinics import clock
from puncta.scheduling.models import Appointment

from ..factories import PASSWORD
from ..scheduling.conftest import clinic_ready, ready_patient  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_book_series_supervision_reflow_reminders(page, personas, clinic_ready):  # noqa: F811
    patient = ready_patient(personas, given_name="Chloé", family_name="Gagnon")
    # The course starts on a Monday five weeks after the clinic's today, never on a fixed
    # date that the calendar would overtake (the screening stays valid for 90 days).
    today = clock.today(personas.clinic)
    start = today + dt.timedelta(days=35 - today.weekday())

    # A physician plans an acne-scar course with zones and depths.
    from .conftest import login

    login(page, "physician", PASSWORD)
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="New treatment plan").click()
    page.get_by_label("Indication").select_option("acne_scars")
    page.get_by_label("Severity").select_option("mild")
    page.get_by_label("First session from").fill(start.isoformat())
    page.locator(".zonemap a[data-zone='cheek'] ellipse").first.click()  # jumps to the row
    expect(page).to_have_url(re.compile("#zone-cheek$"))
    page.locator("#depth-cheek").fill("1.5")
    page.locator("#depth-forehead").fill("0.5")
    page.get_by_role("button", name="Check and save the plan").click()
    expect(page.locator("#plan-verdict")).to_have_text("allowed")  # a label, not the code
    expect(page.locator(".zonemap a[data-zone='cheek']")).to_have_class(re.compile("z-ok"))
    page.get_by_role("button", name="Sign out").click()

    # The front desk books the whole series with the aesthetician: a physician supervises.
    login(page, "desk", PASSWORD)
    page.goto(f"/patients/{patient.pk}/")
    page.locator("#plans").get_by_role("link").first.click()
    page.get_by_role("link", name="Book the series").click()
    page.get_by_label("Practitioner").select_option(str(personas.aesthetician.pk))
    page.get_by_role("button", name="Propose", exact=True).click()
    expect(page.locator("#series")).to_contain_text("supervised by")
    page.get_by_role("button", name="Book all proposed sessions").click()
    expect(page.locator("#series .badge.ok")).to_have_count(5)
    appts = list(Appointment.objects.filter(patient=patient).order_by("start"))
    assert all(a.supervisor_id == personas.physician.pk for a in appts)

    # Without the supervisor the rules refuse the dermal session, and say why.
    page.locator("#session-1").get_by_role("link").first.click()
    page.get_by_label("Supervising physician").select_option("")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_text(re.compile("a physician must perform or supervise"))).to_be_visible()

    # Moving the first session three weeks later puts the second outside its window.
    first, second = appts[0], appts[1]
    new_day = (first.start + dt.timedelta(days=21)).date()
    page.get_by_label("Supervising physician").select_option(str(personas.physician.pk))
    page.get_by_label("Date").fill(new_day.isoformat())
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_text("Appointment moved.")).to_be_visible()
    # The re-flow is a proposal: nothing moves until the desk accepts it.
    expect(page.locator("#reflow")).to_contain_text("Nothing has moved yet")
    before = second.start
    second.refresh_from_db()
    assert second.start == before
    page.get_by_role("button", name="Accept the new dates and tell the patient").click()
    expect(page.locator(".message.success")).to_contain_text("the patient is told")
    first.refresh_from_db()
    second.refresh_from_db()
    assert 42 <= (second.start.date() - first.start.date()).days <= 56
    assert second.messages.filter(kind="rescheduled").exists()

    # Reminders appear in the task log.
    page.get_by_role("link", name="Reminders").click()
    expect(page.locator("#message-log")).to_contain_text("Reminder, 2 days before")
    expect(page.locator("#message-log")).to_contain_text("New date")
    expect(page.locator("#message-log")).to_contain_text("Chloé Gagnon")
