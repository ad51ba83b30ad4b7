"""Consent: versions, signing on screen or on paper, PDF, withdrawal, and the gate."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from puncta.audit.services import Actor
from puncta.consent import services
from puncta.consent.gate import treatment_gate
from puncta.consent.models import Consent, ConsentTemplate
from puncta.patients.intake import services as intake_services

from .conftest import client_for

pytestmark = pytest.mark.django_db

STROKES = json.dumps([[[10, 10], [50, 40], [90, 20], [120, 60], [200, 80]]])


def _sign(client, patient, procedure="microneedling", **extra):
    data = {"method": "drawn", "strokes": STROKES, "signer_name": patient.full_name,
            "understood": "on", **extra}
    return client.post(reverse("consent:sign", args=[patient.pk, procedure]) + "?lang=en", data)


def test_sign_on_screen_stores_exact_text_and_hash(personas, patient):
    client = client_for(personas.nurse)
    assert _sign(client, patient).status_code == 302
    consent = Consent.objects.get(patient=patient)
    assert "Hélène Tremblay" in consent.rendered_text
    assert "hyperpigmentation" in consent.rendered_text and "infection" in consent.rendered_text
    import hashlib
    assert consent.document_sha256 == hashlib.sha256(consent.rendered_text.encode()).hexdigest()
    assert consent.signature_svg.startswith("<svg") and "<script" not in consent.signature_svg
    assert consent.witness == personas.nurse.user


@pytest.mark.parametrize(("data", "message"), [
    ({"strokes": "[]"}, "Please sign in the box"),
    ({"strokes": "<svg onload=alert(1)>"}, "Please sign in the box"),
    ({"understood": ""}, "read and understood"),
    ({"signer_name": "  "}, "name of the person signing"),
])
def test_sign_refuses_incomplete(personas, patient, data, message):
    response = _sign(client_for(personas.nurse), patient, **data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Consent.objects.exists()


def test_pdf_downloads(personas, patient):
    client = client_for(personas.nurse)
    _sign(client, patient)
    consent = Consent.objects.get()
    response = client.get(reverse("consent:pdf", args=[consent.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert client_for(personas.other_clinic_user).get(
        reverse("consent:pdf", args=[consent.pk])).status_code == 404


def test_paper_consent_scan(personas, patient):
    client = client_for(personas.front_desk)
    good = SimpleUploadedFile("c.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    url = reverse("consent:sign", args=[patient.pk, "photography"])
    assert client.post(url, {"method": "paper", "signer_name": "H T", "scan": good}
                       ).status_code == 302
    bad = SimpleUploadedFile("c.pdf", b"MZ not a pdf", content_type="application/pdf")
    r = client.post(url, {"method": "paper", "signer_name": "H T", "scan": bad})
    assert "must be a PDF, PNG or JPEG" in r.content.decode()
    assert Consent.objects.count() == 1


def test_new_version_requires_reconsent_and_old_version_cannot_be_signed(personas, patient):
    client = client_for(personas.nurse)
    _sign(client, patient)
    old = ConsentTemplate.objects.get(clinic=personas.clinic, procedure="microneedling",
                                      language="en")
    admin = Actor(user=personas.clinic_admin.user, role="clinic_admin",
                  clinic_id=personas.clinic.pk)
    services.template_publish(actor=admin, clinic=personas.clinic, procedure="microneedling",
                              language="en", title="Consent v2", body="New text {patient_name}")
    codes = [p.code for p in treatment_gate(patient, timezone.localdate())]
    assert "consent.outdated" in codes
    r = _sign(client, patient, template=str(old.pk))
    assert "replaced by version 2" in r.content.decode()
    _sign(client, patient)
    assert "consent.outdated" not in [p.code for p in treatment_gate(patient,
                                                                     timezone.localdate())]


def test_withdrawal_blocks_and_is_audited(personas, patient):
    client = client_for(personas.nurse)
    _sign(client, patient)
    consent = Consent.objects.get()
    client.post(reverse("consent:withdraw", args=[consent.pk]), {"reason": "changed my mind"})
    consent.refresh_from_db()
    assert consent.withdrawn_at and consent.withdrawn_reason == "changed my mind"
    assert "consent.withdrawn" in [p.code for p in treatment_gate(patient, timezone.localdate())]


def test_gate_names_what_is_missing_and_links_to_it(personas, patient):
    problems = treatment_gate(patient, timezone.localdate())
    assert [p.code for p in problems] == ["screening.missing", "consent.missing"]
    assert problems[0].url == reverse("patients:intake_desk", args=[patient.pk])
    html = client_for(personas.front_desk).get(
        reverse("web:patient_detail", args=[patient.pk])).content.decode()
    assert "No screening" in html and "No signed consent" in html


def test_gate_passes_when_screened_clear_and_consented(personas, patient):
    actor = Actor(user=personas.nurse.user, role="registered_nurse",
                  clinic_id=personas.clinic.pk)
    intake = intake_services.intake_open(actor=actor, patient=patient)
    intake_services.intake_submit(actor=actor, response=intake, by_patient=False)
    _sign(client_for(personas.nurse), patient)
    assert treatment_gate(patient, timezone.localdate()) == []


def test_templates_page_publishes_version(personas):
    admin = client_for(personas.clinic_admin)
    admin.get(reverse("consent:templates"))
    admin.post(reverse("consent:templates"), {"procedure": "numbing", "language": "fr",
                                              "title": "v2", "body": "texte"})
    assert ConsentTemplate.objects.filter(clinic=personas.clinic, procedure="numbing",
                                          language="fr", version=2).exists()
    assert client_for(personas.nurse).get(reverse("consent:templates")).status_code == 403


def test_french_consent_renders(personas, patient):
    html = client_for(personas.nurse).get(
        reverse("consent:sign", args=[patient.pk, "microneedling"]) + "?lang=fr").content
    assert "Consentement au microneedling médical".encode() in html
