"""Outcome journeys at phone size: a clinician captures a baseline and a later session's
photograph with the baseline as an overlay, rates Goodman & Baron and GAIS, and sees the
comparison and the progress chart; a patient sends a follow-up rating through a link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from puncta.outcomes import services
from puncta.outcomes.models import Assessment, Photo

from ..factories import PASSWORD
from ..outcomes.conftest import (  # noqa: F401 - fixtures
    actor_of,
    clinic_ready,
    course,
    jpeg,
    photo_storage,
    signed_sessions,
)
from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "locale": "en-CA"}


@pytest.fixture(scope="module")
def live_server(request, django_db_setup, django_db_blocker):
    """pytest-django's live server, started once the test database exists. On SQLite the
    suite's database is then a file and each server thread opens its own connection; a
    server started before (while the name is still ':memory:') shares the test's one
    connection between threads, which crashes when the browser loads several photographs
    at once."""
    from pytest_django import live_server_helper

    with django_db_blocker.unblock():
        server = live_server_helper.LiveServer("localhost")
    yield server
    server.stop()


def _choose_file(page, selector, name, data):
    """Through the file chooser, as a person picking a photo (no real camera here)."""
    with page.expect_file_chooser() as chooser:
        page.locator(selector).click()
    chooser.value.set_files(files=[{"name": name, "mimeType": "image/jpeg", "buffer": data}])


def _loaded(page, selector):
    """Waits until the image has loaded from the server (the photograph view)."""
    page.wait_for_function("s => { const i = document.querySelector(s); "
                           "return i && i.complete && i.naturalWidth > 0; }", arg=selector)
    return True


def test_capture_rate_compare_and_progress_on_a_phone(
        browser, live_server, personas, course, photo_storage):  # noqa: F811
    signed_sessions(personas, course, 2)
    ctx = browser.new_context(base_url=live_server.url, **PHONE)
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    login(page, "nurse", PASSWORD)
    page.goto(f"/outcomes/courses/{course.pk}/")
    expect(page.get_by_role("heading", name=re.compile("Outcomes — Chloé Roy"))).to_be_visible()
    expect(page.locator("#protocol")).to_contain_text("45° left")

    # Baseline: nothing to overlay yet; the preview shows the chosen photograph.
    capture = page.locator("#capture")
    expect(capture.get_by_label("When", exact=True)).to_have_value("baseline")
    capture.get_by_label("View", exact=True).select_option("front")
    _choose_file(page, "#photo", "baseline.jpg", jpeg(size=(600, 800), orientation=0))
    expect(page.locator("[data-capture-preview]")).to_be_visible()
    expect(page.locator("[data-capture-overlay]")).to_be_hidden()
    page.get_by_role("button", name="Save photograph").click()
    expect(page.get_by_text("Photograph saved (metadata removed).")).to_be_visible()
    baseline = Photo.objects.get()
    assert baseline.timepoint == "baseline"

    # Session 2: the baseline of the same view shows, translucent, over the preview.
    capture = page.locator("#capture")
    capture.get_by_label("When", exact=True).select_option("session:2")
    capture.get_by_label("View", exact=True).select_option("front")
    overlay = page.locator("[data-capture-overlay]")
    expect(overlay).to_be_visible()
    expect(overlay).to_have_attribute("src", f"/outcomes/photos/{baseline.pk}/medium/")
    _choose_file(page, "#photo", "session2.jpg", jpeg(size=(600, 800), colour=(180, 90, 80),
                                                      orientation=0))
    expect(page.locator("[data-capture-preview]")).to_be_visible()
    assert _loaded(page, "[data-capture-preview]")
    assert _loaded(page, "[data-capture-overlay]")
    opacity = float(overlay.evaluate("el => getComputedStyle(el).opacity"))
    assert 0.2 < opacity < 0.6
    page.screenshot(path=str(photo_storage.parent / "capture-overlay.png"))
    page.get_by_role("button", name="Save photograph").click()
    expect(page.get_by_text("Photograph saved (metadata removed).")).to_be_visible()
    assert Photo.objects.filter(timepoint="session", session_number=2).count() == 1

    # Goodman & Baron at baseline and at session 2, GAIS at session 2.
    def rate(summary, when, label):
        page.locator("summary", has_text=summary).click()
        box = page.locator("details[open]")
        box.get_by_label("When").select_option(when)
        box.get_by_label(label, exact=True).check()
        box.get_by_role("button", name=re.compile("^Record")).click()
        expect(page.get_by_text("Assessment recorded.")).to_be_visible()

    rate("Goodman & Baron qualitative", "baseline", re.compile(r"3 — Moderate"))
    rate("Goodman & Baron qualitative", "session:2", re.compile(r"2 — Mild"))
    rate("Global Aesthetic Improvement Scale (clinician)", "session:2",
         re.compile(r"2 — Much improved"))
    assert sorted(Assessment.objects.values_list("scale", "total")) == [
        ("gais_clinician", 2), ("gb_qualitative", 2), ("gb_qualitative", 3)]
    expect(page.locator("#assessment-table tr[data-scale=gb_qualitative]")).to_contain_text(
        "responder")
    expect(page.locator("#progress svg.progresschart")).to_have_count(2)
    page.screenshot(path=str(photo_storage.parent / "course.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1

    # The comparison: slider over the same view, side by side below, progress chart.
    page.get_by_role("link", name="Compare photographs").first.click()
    expect(page.get_by_role("heading", name=re.compile("Front: before and after"))).to_be_visible()
    assert _loaded(page, ".compare-slider img.after")
    assert _loaded(page, ".compare-slider img.before")
    slider = page.get_by_label("Slide between before and after")
    slider.fill("20")
    expect(page.locator("[data-compare]")).to_have_attribute("data-position", "20")
    clip = page.locator("[data-compare-clip]").evaluate("el => el.getBoundingClientRect().width")
    full = page.locator("[data-compare]").evaluate("el => el.getBoundingClientRect().width")
    assert abs(clip / full - 0.2) < 0.05
    expect(page.locator("#side-by-side img")).to_have_count(2)
    expect(page.locator("#progress svg.progresschart").first).to_be_visible()
    page.screenshot(path=str(photo_storage.parent / "compare.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, "the comparison page scrolls sideways on a phone"
    ctx.close()


def test_patient_sends_follow_up_rating_through_the_link(
        browser, live_server, personas, course, photo_storage):  # noqa: F811
    signed_sessions(personas, course, 2)
    baseline = services.photo_add(actor=actor_of(personas.nurse), patient=course.patient,
                                  plan=course, data=jpeg(size=(600, 800), orientation=0),
                                  view="front", when=services.When("baseline"))
    # The clinic's link to the patient (emailed by the follow-up task in use).
    _link, token = services.link_create(actor=actor_of(personas.nurse), patient=course.patient,
                                       plan=course, purpose="follow_up",
                                       when=services.When("follow_up", months=1))

    phone = browser.new_context(base_url=live_server.url, **PHONE)
    mobile = phone.new_page()
    mobile.set_default_timeout(10_000)
    mobile.goto(f"/o/{token}/")
    expect(mobile.get_by_role("heading", name="How are your results?")).to_be_visible()
    # A rating out of range is refused next to the item.
    mobile.get_by_label(re.compile("Has the scar been painful")).fill("12")
    mobile.get_by_role("button", name="Send").click()
    expect(mobile.locator("#posas_patient-pain-error")).to_contain_text("between 1 and 10")
    mobile.get_by_label(re.compile("Has the scar been painful")).fill("")
    mobile.get_by_label("2 — Much improved", exact=True).check()
    mobile.get_by_label("4 — Satisfied", exact=True).check()
    _choose_file(mobile, "#photo-front", "now.jpg", jpeg(size=(600, 800), orientation=0))
    overlay = mobile.locator("#photo-front ~ [data-capture-frame] [data-capture-overlay]")
    expect(overlay).to_be_visible()
    expect(overlay).to_have_attribute("src", f"/o/{token}/baseline/{baseline.pk}/")
    mobile.get_by_role("button", name="Send").click()
    expect(mobile.get_by_role("heading", name="Thank you")).to_be_visible()
    rows = {a.scale: a for a in Assessment.objects.filter(by_patient=True)}
    assert rows["gais_patient"].total == 2 and rows["satisfaction"].total == 4
    assert rows["gais_patient"].months == 1 and "posas_patient" not in rows
    assert Photo.objects.filter(source="patient", timepoint="follow_up").count() == 1
    # The link is used up.
    mobile.goto(f"/o/{token}/")
    expect(mobile.get_by_role("heading", name="Link not available")).to_be_visible()
    phone.close()


def test_live_camera_shot_under_the_overlay(
        browser, live_server, personas, course, photo_storage):  # noqa: F811
    """Chromium's fake camera stands in for a phone's: the baseline shows over the live
    picture, the shot becomes the form's file and is saved like any photograph."""
    from .conftest import CHROMIUM_FLAGS, _chromium

    services.photo_add(actor=actor_of(personas.nurse), patient=course.patient, plan=course,
                       data=jpeg(size=(600, 800), orientation=0), view="front",
                       when=services.When("baseline"))
    camera_browser = browser.browser_type.launch(
        executable_path=_chromium(), headless=True,
        args=[*CHROMIUM_FLAGS, "--use-fake-device-for-media-stream",
              "--use-fake-ui-for-media-stream"])
    try:
        ctx = camera_browser.new_context(base_url=live_server.url, permissions=["camera"],
                                         **PHONE)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        login(page, "nurse", PASSWORD)
        page.goto(f"/outcomes/courses/{course.pk}/")
        capture = page.locator("#capture")
        capture.get_by_label("When", exact=True).select_option("session:1")
        capture.get_by_role("button", name="Use the camera here (with the overlay)").click()
        page.wait_for_function("() => { const v = document.querySelector("
                               "'[data-capture-video]'); return v && v.videoWidth > 0; }")
        expect(page.locator("[data-capture-overlay]")).to_be_visible()
        capture.get_by_role("button", name="Take the photograph").click()
        assert _loaded(page, "[data-capture-preview]")
        expect(page.locator("[data-capture-video]")).to_be_hidden()
        assert page.locator("#photo").evaluate("i => i.files.length") == 1
        capture.get_by_role("button", name="Save photograph").click()
        expect(page.get_by_text("Photograph saved (metadata removed).")).to_be_visible()
        shot = Photo.objects.get(timepoint="session")
        assert shot.session_number == 1 and shot.width > 0
    finally:
        camera_browser.close()
