"""French forms: the decimal comma and ISO dates in date inputs, documents signed in their
own language, destructive consent withdrawal named and confirmed."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from puncta.plans.models import TreatmentPlan

from .conftest import client_for

pytestmark = pytest.mark.django_db


def _french(membership):  # type: ignore[no-untyped-def]
    membership.user.language = "fr"
    membership.user.save()
    return client_for(membership)


def test_french_plan_form_takes_back_what_it_prefills(personas, patient):
    """Defect: the French plan form pre-filled "0,50" and "01/12/2026", then refused both."""
    client = _french(personas.physician)
    created = client.post(reverse("plans:create", args=[patient.pk]), {
        "indication": "acne_scars", "severity": "mild", "start": "2026-12-01",
        "device_type": "pen", "numbing_minutes": "30", "goals": "",
        "depth-forehead": "0,5", "side-forehead": "", "passes-forehead": "3"})
    assert created.status_code == 302, created.content.decode()[:3000]
    plan = TreatmentPlan.objects.get(patient=patient)
    assert str(plan.zones.get().depth_mm) in ("0.5", "0.50")
    html = client.get(reverse("plans:revise", args=[patient.pk, plan.pk])).content.decode()
    start = re.search(r'<input type="date" name="start" value="([^"]*)"', html)
    assert start and start.group(1) == "2026-12-01"  # ISO in a date input, not 01/12/2026
    depth = re.search(r'name="depth-forehead" value="([^"]*)"', html)
    assert depth is not None
    form = {"indication": "acne_scars", "severity": "mild", "start": start.group(1),
            "device_type": "pen", "numbing_minutes": "30", "goals": "",
            "depth-forehead": depth.group(1), "side-forehead": "", "passes-forehead": "3"}
    again = client.post(reverse("plans:revise", args=[patient.pk, plan.pk]), form)
    assert again.status_code == 302, again.content.decode()[:3000]
    assert TreatmentPlan.objects.filter(patient=patient).count() == 2


def test_english_page_still_refuses_a_comma(personas, patient):
    response = client_for(personas.physician).post(reverse("plans:create", args=[patient.pk]), {
        "indication": "acne_scars", "severity": "mild", "start": "2026-12-01",
        "device_type": "pen", "numbing_minutes": "30", "depth-forehead": "0,5",
        "passes-forehead": "3"})
    assert "Use a point for decimals" in response.content.decode()


def test_patient_signs_in_the_documents_language(personas, patient):
    """Defect: the signing panel followed the staff member's language."""
    client = client_for(personas.nurse)  # the nurse reads English
    html = client.get(reverse("consent:sign", args=[patient.pk, "microneedling"])
                      + "?lang=fr").content.decode()
    panel = html[html.index('id="sign-panel"'):html.index("</form>", html.index(
        'id="sign-panel"'))]
    assert 'lang="fr"' in panel and "Signer" in panel
    assert "Sign on screen" not in panel
    # the staff side of the page stays in English
    assert "Record a signed paper consent" in html
    refused = client.post(reverse("consent:sign", args=[patient.pk, "microneedling"]),
                          {"lang": "fr", "method": "drawn", "signer_name": "P",
                           "strokes": ""}).content.decode()
    panel = refused[refused.index('id="sign-panel"'):]
    assert 'role="alert"' in panel and "Sign on screen" not in panel


def test_withdrawing_consent_names_it_and_needs_a_reason(personas, patient):
    from .scheduling.conftest import ready_patient

    ready = ready_patient(personas)
    client = client_for(personas.nurse)
    html = client.get(reverse("consent:patient", args=[ready.pk])).content.decode()
    assert "Withdraw…" in html and "Yes, withdraw this consent" in html
    consent = ready.consents.filter(withdrawn_at__isnull=True).first()
    assert consent is not None
    client.post(reverse("consent:withdraw", args=[consent.pk]), {"reason": "  "})
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    page = client.post(reverse("consent:withdraw", args=[consent.pk]), {"reason": " "},
                       follow=True).content.decode()
    assert 'class="message error" role="alert"' in page  # not the green banner
