"""Issue 17 journeys, desktop and tablet, English and French: the "Today" dashboard per
role (screenshots kept in docs/screenshots), the compliance page, a cancellation that names
itself and takes a reason, "missed" only from the start, errors as alerts, the French plan
form with the decimal comma, and a chart entered from the keyboard alone."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from puncta.scheduling.models import Appointment

from ..charting.conftest import book, make_lot
from ..factories import PASSWORD
from ..scheduling.conftest import acne_plan, clinic_ready, ready_patient  # noqa: F401
from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 820, "height": 1180}


def _page(browser, live_server, viewport):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, locale="en-CA", viewport=viewport,
                                  has_touch=viewport is TABLET)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def _french(membership) -> None:  # type: ignore[no-untyped-def]
    membership.user.language = "fr"
    membership.user.save()


def _queues(page) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {li.get_attribute("data-queue") or "": int(li.locator(".count").inner_text())
            for li in page.locator("li.queue").all()}


@pytest.mark.parametrize(("viewport", "lang"), [(DESKTOP, "en"), (TABLET, "fr")],
                         ids=["desktop-en", "tablet-fr"])
def test_dashboard_per_role(browser, live_server, personas, clinic_ready, viewport, lang):  # noqa: F811
    from django.utils import timezone

    device = clinic_ready["device"]
    patient = ready_patient(personas, given_name="Chloé", family_name="Roy")
    plan = acne_plan(personas, patient, start=timezone.localdate())
    book(personas, plan, device, practitioner=personas.nurse)
    make_lot(personas.clinic, device, number="SOON-1",
             expiry=timezone.localdate() + dt.timedelta(days=5))
    for m in (personas.nurse, personas.front_desk, personas.physician):
        if lang == "fr":
            _french(m)
    context, page = _page(browser, live_server, viewport)

    login(page, "nurse", PASSWORD)
    expect(page.locator("#today")).to_contain_text("Chloé Roy")
    expect(page.locator("#today h3")).to_have_text("Main")  # by location
    queues = _queues(page)
    assert queues["to_chart"] == 1 and queues["lots"] == 1 and "cosign" not in queues
    if lang == "en":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "dashboard-nurse-desktop.png"), full_page=True)
    else:
        page.screenshot(path=str(SHOTS / "dashboard-nurse-tablet-fr.png"), full_page=True)
    # each count is a link to its cases
    page.locator("li.queue[data-queue=to_chart] a").click()
    expect(page.locator("#to-chart")).to_contain_text("Chloé Roy")
    page.get_by_role("button", name=re.compile("Sign out|Se déconnecter")).click()

    login(page, "desk", PASSWORD)
    assert set(_queues(page)) == {"checkins", "skipped", "rebook"}
    # the front desk is never offered a page it may not open
    assert page.locator("header nav a[href='/charts/']").count() == 0
    for href in [a.get_attribute("href") for a in page.locator("li.queue a").all()]:
        response = page.request.get(live_server.url + (href or ""))
        assert response.status == 200, href
    page.get_by_role("button", name=re.compile("Sign out|Se déconnecter")).click()

    login(page, "physician", PASSWORD)
    expect(page.locator("li.queue[data-queue=reviews]")).to_be_visible()
    page.get_by_role("link", name=re.compile("Compliance checks|Contrôles de conformité")).click()
    counts = {li.get_attribute("data-check"): li.locator(".count").inner_text()
              for li in page.locator("li.queue").all()}
    assert counts == {"supervision": "0", "device": "0", "cosign": "0", "consent": "0"}
    if lang == "en":
        page.screenshot(path=str(SHOTS / "compliance-desktop.png"), full_page=True)
    context.close()


@pytest.mark.parametrize(("viewport", "lang"), [(DESKTOP, "en"), (TABLET, "fr")],
                         ids=["desktop-en", "tablet-fr"])
def test_cancel_names_itself_confirms_and_takes_a_reason(browser, live_server, personas,
                                                         clinic_ready, viewport, lang):  # noqa: F811
    from django.utils import timezone

    device = clinic_ready["device"]
    patient = ready_patient(personas, given_name="Chloé", family_name="Roy")
    plan = acne_plan(personas, patient, start=timezone.localdate() + dt.timedelta(days=30))
    appt = book(personas, plan, device, on=timezone.localdate() + dt.timedelta(days=30))
    if lang == "fr":
        _french(personas.front_desk)
    context, page = _page(browser, live_server, viewport)
    login(page, "desk", PASSWORD)
    page.goto(f"/appointments/{appt.pk}/")
    # a future appointment cannot be marked missed
    expect(page.get_by_role("link", name=re.compile("Mark missed|Marquer manqué"))).to_have_count(0)
    page.get_by_role("link", name=re.compile("Cancel the appointment|Annuler le rendez-vous")
                     ).click()
    confirm = page.locator("#confirm")
    expect(confirm).to_contain_text("Chloé Roy")
    # the server refuses a blank reason too (the browser's own check bypassed)
    page.locator("#st-reason").evaluate("el => el.removeAttribute('required')")
    confirm.get_by_role("button", name=re.compile("Yes, cancel|Oui, annuler")).click()
    expect(page.locator(".message.error[role=alert]")).to_be_visible()
    assert Appointment.objects.get(pk=appt.pk).status == "booked"
    page.locator("#st-reason").fill("Patient asked to stop" if lang == "en" else "À sa demande")
    page.locator("#confirm").get_by_role("button", name=re.compile("Yes, cancel|Oui, annuler")
                                        ).click()
    expect(page.locator(".message.success[role=status]")).to_be_visible()
    assert Appointment.objects.get(pk=appt.pk).status == "cancelled"
    context.close()


def test_french_plan_form_accepts_what_it_shows(browser, live_server, personas):
    patient = ready_patient(personas, given_name="Chloé", family_name="Roy")
    _french(personas.physician)
    context, page = _page(browser, live_server, TABLET)
    login(page, "physician", PASSWORD)
    page.goto(f"/patients/{patient.pk}/plans/new/")
    page.get_by_label("Indication").select_option("acne_scars")
    page.locator("#id_severity").select_option("mild")
    page.locator("#id_start").fill("2026-12-01")
    page.locator("#depth-forehead").fill("0,5")
    page.locator("button[type=submit].primary").click()
    expect(page.locator("#plan-verdict")).to_be_visible()
    page.get_by_role("link", name="Réviser").click()
    expect(page.locator("#id_start")).to_have_value("2026-12-01")
    expect(page.locator("#depth-forehead")).to_have_value("0,50")
    page.locator("button[type=submit].primary").click()
    expect(page.locator("h1")).to_contain_text("v2")
    context.close()


def test_chart_from_the_keyboard_alone(browser, live_server, personas, clinic_ready):  # noqa: F811
    from django.utils import timezone

    device = clinic_ready["device"]
    patient = ready_patient(personas, given_name="Chloé", family_name="Roy")
    plan = acne_plan(personas, patient, start=timezone.localdate())
    make_lot(personas.clinic, device, number="LOT-K")
    appt = book(personas, plan, device, practitioner=personas.physician)
    from puncta.charting import services as charting

    from ..scheduling.conftest import actor_of

    chart = charting.chart_start(actor=actor_of(personas.physician), appointment=appt)
    context, page = _page(browser, live_server, TABLET)
    login(page, "physician", PASSWORD)
    page.goto(f"/charts/{chart.pk}/")
    # only the planned zone is in view; the others wait behind "Add a zone"
    expect(page.locator("#depth-cheek")).to_be_visible()
    expect(page.locator("#depth-forehead")).to_be_hidden()
    page.locator("#passes-cheek").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("4")
    page.keyboard.press("Tab")  # pattern
    page.keyboard.press("ArrowDown")
    summary = page.locator("#add-zone > summary")
    for _ in range(40):
        page.keyboard.press("Tab")
        if summary.evaluate("el => el === document.activeElement"):
            break
    page.keyboard.press("Enter")  # opens "Add a zone"
    expect(page.locator("#depth-forehead")).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # side, then depth of the first other zone
    assert page.evaluate("document.activeElement.id") == "depth-forehead"
    page.keyboard.type("0.5")
    page.keyboard.press("Tab")
    expect(page.locator("#save-status")).to_contain_text("Draft saved")
    # the autosave of the last field may still be on its way
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    for _ in range(20):
        chart.refresh_from_db()
        zones = {z["zone"]: z for z in chart.content["zones"]}
        if "forehead" in zones:
            break
        page.wait_for_timeout(250)
    assert zones["cheek"]["passes"] == 4 and zones["forehead"]["depth_mm"] == "0.50"
    context.close()
