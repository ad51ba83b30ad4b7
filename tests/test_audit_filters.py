"""The audit log filtered by patient (name or MRN), user and date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from puncta.audit.models import AuditEvent

from .conftest import client_for
from .factories import PatientFactory

pytestmark = pytest.mark.django_db


def _rows(html: str) -> int:
    return html.count("<tr><td>")


def test_audit_log_filters_by_patient_user_and_date(personas):
    a = PatientFactory(clinic=personas.clinic, given_name="Anaïs", family_name="Lavoie")
    b = PatientFactory(clinic=personas.clinic, given_name="Bruno", family_name="Côté")
    # reading each record writes an audit event for the reader
    client_for(personas.nurse).get(reverse("web:patient_detail", args=[a.pk]))
    client_for(personas.front_desk).get(reverse("web:patient_detail", args=[b.pk]))
    admin = client_for(personas.clinic_admin)
    url = reverse("web:audit_log")
    html = admin.get(url, {"who": "anais lav"}).content.decode()
    assert f"?patient={a.pk}" in html and f"?patient={b.pk}" not in html
    html = admin.get(url, {"who": b.mrn}).content.decode()
    assert f"?patient={b.pk}" in html and f"?patient={a.pk}" not in html
    html = admin.get(url, {"actor": personas.front_desk.user.username}).content.decode()
    assert f"?patient={b.pk}" in html and f"?patient={a.pk}" not in html
    today = timezone.localdate()
    assert AuditEvent.objects.filter(patient_id=a.pk).exists()
    html = admin.get(url, {"who": "Lavoie",
                           "date_to": (today - dt.timedelta(days=2)).isoformat()}
                     ).content.decode()
    assert f"?patient={a.pk}" not in html
    html = admin.get(url, {"who": "Lavoie", "date_from": today.isoformat(),
                           "date_to": today.isoformat()}).content.decode()
    assert f"?patient={a.pk}" in html
    assert 'type="date"' in html and "Patient (name or MRN)" in html


def test_the_audit_log_pages_without_counting(personas, monkeypatch):
    """Prev/next from one row past the page: no COUNT(*) over the clinic's log (about
    300 ms at 100,000 patients); a page number that is not a number reads as the first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from puncta.audit.services import Actor, Entry, record_many

    actor = Actor(user=personas.clinic_admin.user, role="clinic_admin",
                  clinic_id=personas.clinic.pk)
    record_many(actor, [Entry("read", "patients.patient", str(i), i) for i in range(120)])
    client = client_for(personas.clinic_admin)
    url = reverse("web:audit_log")
    with CaptureQueriesContext(connection) as q:
        first = client.get(url).content.decode()
    assert not [x for x in q.captured_queries if "COUNT(" in x["sql"].upper()]
    assert "page=2" in first and "page=0" not in first and "Page 1" in first
    last = -(-AuditEvent.objects.filter(clinic=personas.clinic).count() // 50)
    page = client.get(url, {"page": str(last)}).content.decode()
    assert f"page={last - 1}" in page and f"page={last + 1}" not in page
    assert client.get(url, {"page": "x"}).status_code == 200
    assert client.get(url, {"page": "99999999999999999999"}).status_code == 200
