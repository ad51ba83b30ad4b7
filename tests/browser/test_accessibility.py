"""Accessibility checked by a machine: axe-core (bundled by axe-playwright-python) on every
main page, in English and in French, with no serious or critical violation."""

from __future__ import annotations

import pytest

from ..charting.conftest import book, make_lot
from ..factories import PASSWORD
from ..scheduling.conftest import acne_plan, actor_of, clinic_ready, ready_patient  # noqa: F401
from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIOUS = {"serious", "critical"}


def _scene(personas, clinic_ready):  # type: ignore[no-untyped-def]  # noqa: F811
    from django.utils import timezone

    from puncta.charting import services as charting
    from puncta.patients.intake import services as intake_services

    device = clinic_ready["device"]
    patient = ready_patient(personas, given_name="Chloé", family_name="Roy")
    plan = acne_plan(personas, patient, start=timezone.localdate())
    lot = make_lot(personas.clinic, device)
    appt = book(personas, plan, device, practitioner=personas.physician)
    chart = charting.chart_start(actor=actor_of(personas.physician), appointment=appt)
    _link, token = intake_services.intake_link_create(actor=actor_of(personas.nurse),
                                                      patient=patient)
    return {"patient": patient.pk, "plan": plan.pk, "appt": appt.pk, "chart": chart.pk,
            "device": device.pk, "lot": lot.pk, "token": token}


PAGES = [
    "/", "/patients/", "/patients/new/", "/patients/{patient}/", "/patients/{patient}/edit/",
    "/patients/{patient}/intake/", "/patients/{patient}/screening/",
    "/patients/{patient}/consent/", "/patients/{patient}/consent/microneedling/sign/",
    "/plans/{plan}/", "/patients/{patient}/plans/{plan}/revise/", "/plans/{plan}/series/",
    "/calendar/", "/appointments/{appt}/", "/charts/", "/charts/{chart}/",
    "/charts/cosign/", "/adverse-events/", "/messages/", "/devices/", "/devices/{device}/",
    "/devices/lots/", "/devices/lots/{lot}/", "/reviews/", "/audit/", "/compliance/",
]


def violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in results.response["violations"] if v.get("impact") in SERIOUS]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_main_pages_have_no_serious_violation(browser, live_server, personas, clinic_ready,  # noqa: F811
                                              lang):
    from django.urls import reverse

    ids = _scene(personas, clinic_ready)
    personas.physician.user.language = lang
    personas.physician.user.save()
    context = browser.new_context(base_url=live_server.url, locale="en-CA",
                                  viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    found: dict[str, list[str]] = {}
    # the patient's own page first (no staff session)
    page.goto(reverse("patients:intake_public", args=[ids["token"]]) + f"?lang={lang}")
    found["intake (patient)"] = violations(page)
    page.goto("/login/")
    found["login"] = violations(page)
    login(page, "physician", PASSWORD)
    for template in PAGES:
        url = template.format(**ids)
        response = page.goto(url)
        assert response is not None and response.status < 400, (url, response and
                                                                 response.status)
        assert page.locator("html").get_attribute("lang") == lang
        found[url] = violations(page)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}
