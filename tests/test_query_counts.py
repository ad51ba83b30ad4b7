"""Query-count guards: every list/detail page and API endpoint runs the same number of
SQL queries with 2 and with 50 related rows (no N+1), and no page runs more than 15."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from puncta.accounts.models import ApiToken
from puncta.audit.models import AuditEvent
from puncta.audit.services import SYSTEM, Entry, record_many
from puncta.consent.models import Consent, ConsentTemplate
from puncta.consent.services import render_document, templates_ensure
from puncta.patients.intake.services import questionnaire_current
from puncta.patients.models import IntakeResponse, IntakeStatus, Screening

from .conftest import client_for
from .factories import LocationFactory, PatientFactory, RoomFactory

pytestmark = pytest.mark.django_db
MAX_QUERIES = 15


def history(patient, n: int, physician) -> None:  # type: ignore[no-untyped-def]
    """n intakes, n screenings (review, decided, superseded but the last) and n consents."""
    q = questionnaire_current()
    now = timezone.now()
    intakes = IntakeResponse.objects.bulk_create([
        IntakeResponse(patient=patient, questionnaire=q, status=IntakeStatus.SUBMITTED,
                       answers={"concerns": ["fine_lines"], "phototype": 2},
                       submitted_at=now) for _ in range(n)])
    Screening.objects.bulk_create([
        Screening(patient=patient, intake=i, intake_version=1, result="review",
                  findings=[{"code": "herpes_simplex_history", "severity": "review",
                             "message": "m", "field": "patient.conditions[0]",
                             "question": "cond.herpes_simplex_history"}],
                  rules_version="x", screened_on=dt.date.today(),
                  valid_until=dt.date.today() + dt.timedelta(days=90),
                  superseded_at=None if k == n - 1 else now, decided_by=physician.user,
                  decision="approved" if k < n - 1 else "")
        for k, i in enumerate(intakes)])
    templates_ensure(patient.clinic)
    templates = list(ConsentTemplate.objects.filter(clinic=patient.clinic, language="en"))
    Consent.objects.bulk_create([
        Consent(patient=patient, template=templates[k % len(templates)], method="drawn",
                signer_name="x", witness=physician.user, signed_at=now,
                rendered_text=render_document(templates[k % len(templates)], patient),
                document_sha256="0" * 64) for k in range(n)])


def clinic_rows(personas, n: int) -> list:  # type: ignore[no-untyped-def]
    """n patients (each with a small history and a review waiting), n rooms, n events."""
    clinic = personas.clinic
    patients = [PatientFactory(clinic=clinic) for _ in range(n)]
    for p in patients:
        history(p, 1, personas.physician)
    loc = LocationFactory(clinic=clinic)
    for _ in range(n):
        RoomFactory(location=loc)
    record_many(SYSTEM, [Entry("read", "patients.patient", str(p.pk), p.pk)
                         for p in patients], clinic_id=clinic.pk)
    return patients


def count(client: Client, url: str, **headers: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def same_for_2_and_50(personas, build: Callable[[int], str], who: str = "physician",  # type: ignore[no-untyped-def]
                      api: bool = False, limit: int = MAX_QUERIES) -> int:
    """Build n related rows (the builder returns the URL), count the queries of a GET."""
    membership = getattr(personas, who)
    if api:
        _, raw = ApiToken.issue(membership, "t")
        client = Client(headers={"Authorization": f"Bearer {raw}"})
    else:
        client = client_for(membership)
    counts = []
    for n in (2, 50):
        url = build(n)
        count(client, url)  # warm caches (content types, questionnaire) once
        counts.append(count(client, url))
    assert counts[0] == counts[1], f"N+1: {counts[0]} queries with 2 rows, {counts[1]} with 50"
    assert counts[1] <= limit, f"{counts[1]} queries (limit {limit})"
    return counts[1]


def patient_with_history(personas):  # type: ignore[no-untyped-def]
    def build(n: int) -> int:
        p = PatientFactory(clinic=personas.clinic)
        history(p, n, personas.physician)
        return p.pk
    return build


PATIENT_PAGES = {
    "patient_detail": "/patients/{}/",
    "patient_edit": "/patients/{}/edit/",
    "screening": "/patients/{}/screening/",
    "consent": "/patients/{}/consent/",
    "intake_desk": "/patients/{}/intake/",
}


# Known misses, reported to the lead (strict: the marker must go when they are fixed).
OVER_LIMIT: dict[str, str] = {
}


@pytest.mark.parametrize("page", [
    pytest.param(p, marks=pytest.mark.xfail(reason=OVER_LIMIT[p], strict=True))
    if p in OVER_LIMIT else p for p in sorted(PATIENT_PAGES)])
def test_patient_pages(personas, page):
    make = patient_with_history(personas)
    same_for_2_and_50(personas, lambda n: PATIENT_PAGES[page].format(make(n)))


@pytest.mark.parametrize("url", ["/", "/patients/", "/patients/?q=a", "/audit/",
    "/reviews/",
])
def test_clinic_pages(personas, url):
    same_for_2_and_50(personas, lambda n: (clinic_rows(personas, n), url)[1])


API_PATIENT = {
    "read": "/api/v1/patients/{}",
    "intake": "/api/v1/patients/{}/intake",
    "screenings": "/api/v1/patients/{}/screenings",
    "consents": "/api/v1/patients/{}/consents",
    "readiness": "/api/v1/patients/{}/readiness",
}


@pytest.mark.parametrize("endpoint", sorted(API_PATIENT))
def test_api_patient_endpoints(personas, endpoint):
    make = patient_with_history(personas)
    same_for_2_and_50(personas, lambda n: API_PATIENT[endpoint].format(make(n)),
                      who="nurse", api=True)


@pytest.mark.parametrize("url", ["/api/v1/patients", "/api/v1/patients?q=a&limit=100"])
def test_api_patient_list(personas, url):
    same_for_2_and_50(personas, lambda n: (clinic_rows(personas, n), url)[1], who="nurse",
                      api=True)


def test_audit_log_filtered_by_patient(personas):
    def build(n: int) -> str:
        p = PatientFactory(clinic=personas.clinic)
        record_many(SYSTEM, [Entry("read", "patients.patient", str(p.pk), p.pk)] * n,
                    clinic_id=personas.clinic.pk)
        return f"/audit/?patient={p.pk}"
    same_for_2_and_50(personas, build)
    assert AuditEvent.objects.count() > 50


# Devices pages (the devices app is being built: guarded as they are today).
def _devices(personas, n: int) -> None:  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from puncta.devices.models import CartridgeLot, CartridgeProduct, Device, Licence

    clinic = personas.clinic
    base = Device.objects.filter(clinic=clinic).count()
    lic = Licence.objects.create(clinic=clinic, authority="HC", number=str(90000 + base),
                                 device_class=2)
    Device.objects.bulk_create([
        Device(clinic=clinic, kind="pen", manufacturer="M", model_name="Pen",
               serial_number=f"S{base + k}", max_depth_mm=Decimal("2.0"), licence=lic)
        for k in range(n)])
    product = CartridgeProduct.objects.create(clinic=clinic, manufacturer="M",
                                              name=f"Cartridge {base}", needle_count=12,
                                              compatible_models=["Pen"])
    CartridgeLot.objects.bulk_create([
        CartridgeLot(clinic=clinic, product=product, lot_number=f"L{k}",
                     expiry=dt.date(2030, 1, 1), quantity_received=10, quantity_left=10,
                     received_on=dt.date(2026, 1, 1)) for k in range(n)])


@pytest.mark.parametrize("url", ["/devices/", "/devices/lots/"])
def test_device_pages(personas, url):
    same_for_2_and_50(personas, lambda n: (_devices(personas, n), url)[1])


def test_api_devices_list(personas):
    same_for_2_and_50(personas, lambda n: (_devices(personas, n), "/api/v1/devices")[1],
                      who="nurse", api=True)
