"""A whole patient journey through the JSON API alone, each step by the role that does it:
front desk creates the patient, a nurse takes the intake, the physician reviews the
screening, the nurse records the consent, the physician plans (and approves), the front desk
books the series, the aesthetician charts and signs, the physician co-signs, the
aesthetician amends, the nurse fetches the aftercare sheet, the physician traces the lot."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from puncta.accounts.models import ApiToken
from puncta.audit.models import AuditEvent

from .scheduling.conftest import MONDAY, clinic_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

STROKES = [[[1, 1], [5, 5], [9, 9], [20, 4], [30, 8]]]


class Door:
    """One API client per role, failing loudly on an unexpected status."""

    def __init__(self, membership) -> None:
        _, raw = ApiToken.issue(membership, "journey")
        self.client = Client(headers={"Authorization": f"Bearer {raw}"})

    def __call__(self, method: str, url: str, data=None, status: int = 200):
        if method == "get":
            r = self.client.get(f"/api/v1{url}", data or {})
        else:
            r = getattr(self.client, method)(f"/api/v1{url}", data or {},
                                             content_type="application/json")
        assert r.status_code == status, (method, url, r.status_code, r.content[:800])
        return r.json() if r["Content-Type"].startswith("application/json") else r


@pytest.fixture
def clock(monkeypatch):
    """The clinic's clock, set by the test (a month before the course starts)."""
    now = {"at": timezone.make_aware(dt.datetime(2026, 12, 1, 12, 0))}
    monkeypatch.setattr(timezone, "now", lambda: now["at"])
    return now


def test_whole_journey_through_the_api(personas, clinic_ready, clock):  # noqa: F811
    desk, nurse, doctor = Door(personas.front_desk), Door(personas.nurse), Door(
        personas.physician)
    aesthetician = Door(personas.aesthetician)
    device = clinic_ready["device"]

    # Front desk: the patient.
    patient = desk("post", "/patients", {
        "given_name": "Élodie", "family_name": "Marchand", "date_of_birth": "1988-05-12",
        "preferred_language": "fr", "phone": "514 555 0101", "concerns": ["acne_scars"]},
        status=201)
    pid = patient["id"]

    # Nurse: the intake, submitted; an answer that needs a physician's review.
    intake = nurse("get", f"/patients/{pid}/intake")
    intake = nurse("put", f"/patients/{pid}/intake", {
        "version": intake["version"], "submit": True,
        "answers": {"cond.keloid_history.present": "on"}})
    assert intake["status"] == "submitted"
    [screening] = nurse("get", f"/patients/{pid}/screenings")["items"]
    assert screening["result"] == "review"

    # Physician: the screening review.
    reviewed = doctor("post", f"/screenings/{screening['id']}/review",
                      {"decision": "approved", "note": "Small keloid in 2010, none since."})
    assert reviewed["decision"] == "approved"

    # Nurse: the consents (treatment, numbing, photographs), signed on screen on the
    # current French documents.
    templates = nurse("get", "/consent-templates", {"language": "fr"})["items"]
    assert {t["procedure"] for t in templates} == {"microneedling", "numbing", "photography"}
    for template in templates:
        consent = nurse("post", f"/patients/{pid}/consents", {
            "template_id": template["id"], "signer_name": "Élodie Marchand",
            "understood": True, "strokes": STROKES}, status=201)
        assert consent["method"] == "drawn" and len(consent["document_sha256"]) == 64
    assert nurse("get", f"/patients/{pid}/readiness")["ready"] is True

    # Physician: the plan (approved when the rules ask for it).
    plan = doctor("post", f"/patients/{pid}/plans", {
        "indication": "acne_scars", "severity": "mild", "start": MONDAY.isoformat(),
        "zones": [{"zone": "cheek", "depth_mm": "1.5", "passes": 3}]}, status=201)
    assert plan["verdict"] == "review" and not plan["bookable"]  # keloid history
    plan = doctor("post", f"/plans/{plan['id']}/approve",
                  {"note": "Keloid history reviewed; test spot done."})
    assert plan["bookable"] and plan["approved"]

    # Staff and resources are listed, not guessed.
    staff = desk("get", "/staff")["items"]
    assert personas.aesthetician.pk in [m["id"] for m in staff]
    assert desk("get", "/locations")["items"][0]["rooms"]

    # Front desk: the whole series booked at once, with the aesthetician.
    booked = desk("post", f"/plans/{plan['id']}/book-series?practitioner="
                  f"{personas.aesthetician.pk}", status=201)
    assert {a["practitioner_id"] for a in booked} == {personas.aesthetician.pk}
    assert len(booked) == len(plan["course"]["sessions"])
    first = booked[0]
    ics = desk("get", f"/plans/{plan['id']}/series.ics")
    assert b"BEGIN:VEVENT" in ics.content

    # A cartridge lot received before the session (physician), for the chart to draw from.
    product = doctor("post", "/devices/products", {
        "manufacturer": "Demo", "name": "12-pin", "needle_count": 12,
        "compatible_models": [device.model_name]}, status=201)
    lot = doctor("post", "/devices/lots", {
        "product_id": product["id"], "lot_number": "J-1", "expiry": "2028-01-01",
        "quantity": 10}, status=201)

    # Right after the first session: the aesthetician charts and signs.
    clock["at"] = dt.datetime.fromisoformat(first["end"]) + dt.timedelta(minutes=10)
    performer = aesthetician
    chart = performer("post", "/charts", {"appointment_id": first["id"]}, status=201)
    content = {
        "practitioner_id": chart["practitioner_id"], "supervisor_id": chart["supervisor_id"],
        "device_id": chart["device_id"], "lot_number": "J-1", "today": {"answered": True},
        "photos_taken": True, "cleansing": "chlorhexidine",
        "numbing": {"used": True, "product": "emla", "amount_g": "10", "area_cm2": "100",
                    "applied_at": "09:00", "removed_at": "09:40", "occluded": False},
        "zones": [{"zone": "cheek", "depth_mm": "1.5", "passes": 3, "pattern": "horizontal",
                   "endpoint": "pinpoint_bleeding"}],
        "duration_min": 30}
    chart = performer("patch", f"/charts/{chart['id']}", {**content,
                                                         "version": chart["version"]})
    # Physician: attests supervising the dermal session (their own token).
    chart = doctor("post", f"/charts/{chart['id']}/attest-supervision")
    assert chart["verdict"] != "refuse", chart["findings"]
    chart = performer("post", f"/charts/{chart['id']}/sign", {"version": chart["version"]})
    assert chart["status"] == "pending_cosign"  # a dermal session by an aesthetician

    # Physician: the co-signature.
    chart = doctor("post", f"/charts/{chart['id']}/cosign", {"note": "Reviewed."})
    assert chart["status"] == "final"

    # The performer amends the signed chart, with a reason.
    chart = performer("post", f"/charts/{chart['id']}/amend",
                      {"reason": "Duration was mistyped.", "duration_min": 35})
    assert chart["amendments"][0]["reason"] == "Duration was mistyped."

    # Nurse: the aftercare sheet, in the patient's language.
    sheet = nurse("get", f"/charts/{chart['id']}/aftercare")
    assert sheet["lang"] == "fr" and sheet["items"]

    # Physician: the lot traced to this patient.
    trace = doctor("get", f"/devices/lots/{lot['id']}/trace")
    assert [row["patient_id"] for row in trace["items"]] == [pid]

    # Each step left its audit event, by the role that did it.
    events = AuditEvent.objects.filter(patient_id=pid)
    assert {"create", "read", "update", "list", "export"} <= set(
        events.values_list("action", flat=True))
