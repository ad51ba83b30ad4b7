"""Query-count guards: every list/detail page and API endpoint runs the same number of
SQL queries with 2 and with 50 related rows (no N+1), and no page runs more than 12
(issue 16), except those listed in OVER_TARGET, each held to what it runs today."""

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
MAX_QUERIES = 12
# Pages above the target, at most what they run today in tests (a ratchet: lower the figure
# when a page gets cheaper, remove the line when it reaches MAX_QUERIES). None today: a web
# page pays 2 queries to be signed in (session; user with memberships), the session is
# saved once a minute, and an audited read inserts its event (sealed after the commit).
OVER_TARGET: dict[str, int] = {}


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
    # Family names that the "?q=a" searches always match: with random names a search could
    # list nobody with 2 rows (no audit insert) and somebody with 50, failing at random.
    patients = [PatientFactory(clinic=clinic, family_name=f"Lavoie {i}") for i in range(n)]
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
                      api: bool = False, limit: int = MAX_QUERIES, key: str = "") -> int:
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
    limit = OVER_TARGET.get(key, limit)
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
    same_for_2_and_50(personas, lambda n: PATIENT_PAGES[page].format(make(n)), key=page)


@pytest.mark.parametrize("url", ["/", "/patients/", "/patients/?q=a", "/audit/",
    "/reviews/",
])
def test_clinic_pages(personas, url):
    same_for_2_and_50(personas, lambda n: (clinic_rows(personas, n), url)[1], key=url)


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



# --- plans, scheduling, charting -------------------------------------------------------

import zoneinfo  # noqa: E402
from itertools import count as _counter  # noqa: E402

from puncta.charting.models import AdverseEvent, Amendment, Chart  # noqa: E402
from puncta.charting.services import aftercare_sheet  # noqa: E402
from puncta.scheduling.models import Appointment, PatientMessage  # noqa: E402

from .scheduling.conftest import (  # noqa: E402
    MONDAY,
    acne_plan,
    clinic_ready,  # noqa: F401 - a fixture
    ready_patient,
)

TZ = zoneinfo.ZoneInfo("America/Toronto")
_WEEKS = _counter(0)
CARE_CONTENT = {"today": {"answered": True}, "numbing": {"used": False},
                "zones": [{"zone": "cheek", "depth_mm": "1.50", "passes": 3}], "notes": ""}


def care_rows(personas, device, n: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A patient with a plan, n appointments in a week of their own (90 minutes apart,
    one room), n messages on the first, n charts (the first with n amendments and n
    adverse events, each with n follow-up notes)."""
    week = next(_WEEKS)
    monday = MONDAY + dt.timedelta(weeks=week)
    patient = ready_patient(personas)
    plan = acne_plan(personas, patient, start=monday)
    loc = personas.clinic.locations.get()
    room = loc.rooms.first()
    appts = []
    for k in range(n):
        start = dt.datetime.combine(monday + dt.timedelta(days=k // 8), dt.time(7),
                                    tzinfo=TZ) + dt.timedelta(minutes=90 * (k % 8))
        appts.append(Appointment(
            clinic=personas.clinic, location=loc, patient=patient, plan=plan, series=plan,
            session_number=k + 1, practitioner=personas.aesthetician if k % 2 else
            personas.nurse, supervisor=personas.physician, room=room, device=device,
            start=start, treat_start=start + dt.timedelta(minutes=30),
            end=start + dt.timedelta(minutes=75), created_by=personas.front_desk.user))
    appts = Appointment.objects.bulk_create(appts)
    PatientMessage.objects.bulk_create([
        PatientMessage(patient=patient, appointment=appts[0], kind="reminder_24h",
                       subject="s", body="b", status="queued",
                       send_after=appts[0].start - dt.timedelta(hours=24)) for _ in range(n)])
    now = timezone.now()
    charts = Chart.objects.bulk_create([
        Chart(clinic=personas.clinic, patient=patient, appointment=a, plan=plan,
              indication="acne_scars", severity="mild", on=monday, practitioner=a.practitioner,
              supervisor=personas.physician, device=device, content=CARE_CONTENT,
              status="pending_cosign", verdict="allow", rules_version="x",
              cosign_required=True, supervision_required=True,
              created_by=personas.nurse.user,
              signed_by=a.practitioner.user, signed_at=now, sha256="0" * 64,
              signed_content={"content": CARE_CONTENT},
              aftercare=aftercare_sheet(Chart(patient=patient), 1.5)) for a in appts])
    Amendment.objects.bulk_create([
        Amendment(chart=charts[0], number=k + 1, reason="r", before=CARE_CONTENT,
                  after=CARE_CONTENT, changed=["notes"], verdict="allow", rules_version="x",
                  sha256="0" * 64, by=personas.nurse.user) for k in range(n)])
    events = AdverseEvent.objects.bulk_create([
        AdverseEvent(clinic=personas.clinic, patient=patient, chart=charts[0], phase="after",
                     kind="pain", severity="mild", occurred_on=monday,
                     notes=[{"at": now.isoformat(), "by": "n", "note": "x", "status": "open"}]
                     * n, reported_by=personas.nurse.user) for _ in range(n)])
    # A plan of another patient with nothing booked: its series page and proposal search
    # the week the n appointments fill.
    free_plan = acne_plan(personas, ready_patient(personas), start=monday)
    return {"plan": plan.pk, "free_plan": free_plan.pk, "appt": appts[0].pk, "chart": charts[0].pk,
            "patient": patient.pk, "ae": events[0].pk, "week": monday.isoformat()}


CARE_PAGES = {
    "calendar_week": "/calendar/?date={week}",
    "calendar_week_by_room": "/calendar/?date={week}&by=room",
    "plan": "/plans/{plan}/",
    "series": "/plans/{free_plan}/series/",
    "appointment": "/appointments/{appt}/",
    "charts_home": "/charts/",
    "cosign_queue": "/charts/cosign/",
    "chart": "/charts/{chart}/",
    "chart_aftercare": "/charts/{chart}/aftercare/",
    "patient_course": "/charts/patient/{patient}/",
    "adverse_events": "/adverse-events/",
    "adverse_event": "/adverse-events/{ae}/",
    "messages": "/messages/",
}
CARE_API = {
    "chart": "/api/v1/charts/{chart}",
    "patient_charts": "/api/v1/patients/{patient}/charts",
    "plan": "/api/v1/plans/{plan}",
    "proposal": "/api/v1/plans/{free_plan}/proposal",
    "appointments": "/api/v1/appointments?date_from={week}&date_to={week}",
}
@pytest.mark.parametrize("page", sorted(CARE_PAGES))
def test_care_pages(personas, clinic_ready, page):  # noqa: F811
    device = clinic_ready["device"]
    same_for_2_and_50(personas, lambda n: CARE_PAGES[page].format(
        **care_rows(personas, device, n)), key=f"care:{page}")


@pytest.mark.parametrize("endpoint", sorted(CARE_API))
def test_care_api(personas, clinic_ready, endpoint):  # noqa: F811
    device = clinic_ready["device"]
    same_for_2_and_50(personas, lambda n: CARE_API[endpoint].format(
        **care_rows(personas, device, n)), who="nurse", api=True, key=f"care_api:{endpoint}")
