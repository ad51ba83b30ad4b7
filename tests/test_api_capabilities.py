"""The capabilities the API gained so a clinic's other systems need not guess: staff and
locations, hours and time off, supervision, devices and licences, adverse events and
follow-ups, consent withdrawal, paper consent and the PDF. Same services as the web."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from puncta.accounts.models import ApiToken
from puncta.audit.models import AuditEvent
from puncta.scheduling.models import TimeOff, WorkingHours

from .charting.conftest import session  # noqa: F401  (fixture)
from .scheduling.conftest import clinic_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def _api(membership) -> Client:
    _, raw = ApiToken.issue(membership, "t")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _json(client, method, url, data=None, status=200):
    r = getattr(client, method)(f"/api/v1{url}", data or {}, content_type="application/json")
    assert r.status_code == status, (url, r.content[:500])
    return r.json() if r.content else None


def test_staff_locations_hours_time_off_supervision(personas, clinic_ready):  # noqa: F811
    admin, nurse = _api(personas.clinic_admin), _api(personas.nurse)
    staff = nurse.get("/api/v1/staff").json()
    roles = {m["id"]: m["role"] for m in staff["items"]}
    assert roles[personas.physician.pk] == "physician" and staff["count"] == 6
    [location] = nurse.get("/api/v1/locations").json()["items"]
    assert {r["name"] for r in location["rooms"]} == {"Room 1", "Room 2"}

    hours = {"membership_id": personas.nurse_practitioner.pk, "location_id": location["id"],
             "weekdays": [5, 6], "start": "10:00", "end": "14:00"}
    _json(nurse, "post", "/staff/hours", hours, status=403)
    rows = _json(admin, "post", "/staff/hours", hours, status=201)
    assert [r["weekday"] for r in rows] == [5, 6] and rows[0]["start"] == "10:00:00"
    assert _json(admin, "post", "/staff/hours", {**hours, "end": "09:00"},
                 status=422)["code"] == "hours.times"
    other = {**hours, "membership_id": personas.other_clinic_user.pk}
    assert _json(admin, "post", "/staff/hours", other, status=422)["code"] == "staff.unknown"
    _json(admin, "delete", f"/staff/hours/{rows[0]['id']}", status=204)
    assert not WorkingHours.objects.filter(pk=rows[0]["id"]).exists()

    off = _json(admin, "post", "/staff/time-off", {
        "membership_id": personas.nurse.pk, "first_day": "2027-02-01",
        "last_day": "2027-02-03", "reason": "course"}, status=201)
    assert TimeOff.objects.get(pk=off["id"]).reason == "course"
    assert _json(admin, "post", "/staff/time-off", {
        "membership_id": personas.nurse.pk, "first_day": "2027-02-03",
        "last_day": "2027-02-01"}, status=422)["code"] == "time_off.days"

    assert _json(admin, "put", "/clinic/supervision", {"on_site": False}) == {"on_site": False}
    _json(nurse, "put", "/clinic/supervision", {"on_site": True}, status=403)
    assert nurse.get("/api/v1/clinic/supervision").json() == {"on_site": False}
    written = set(AuditEvent.objects.filter(actor=personas.clinic_admin.user)
                  .values_list("object_type", "action"))
    assert {("scheduling.workinghours", "create"), ("scheduling.workinghours", "delete"),
            ("scheduling.timeoff", "create"), ("clinics.clinic", "update")} <= written


def test_device_register_and_fda_licence(personas):
    doctor = _api(personas.physician)
    device = _json(doctor, "post", "/devices", {
        "kind": "pen", "manufacturer": "Acme", "model_name": "Pen Z", "serial_number": "Z-1",
        "max_depth_mm": "2.5", "needle_counts": [12]}, status=201)
    assert device["licence"] is None
    again = _json(doctor, "post", "/devices", {
        "kind": "pen", "manufacturer": "Acme", "model_name": "Pen Z", "serial_number": "Z-1",
        "max_depth_mm": "2.5"}, status=422)
    assert again["field"] == "serial_number"
    linked = _json(doctor, "put", f"/devices/{device['id']}/licence",
                   {"authority": "FDA", "number": "K202243"})
    assert linked["licence"]["number"] == "K202243"
    unknown = _json(doctor, "put", f"/devices/{device['id']}/licence",
                    {"authority": "HC", "number": "12345"}, status=422)
    assert unknown["field"] == "licence_number"
    _json(_api(personas.front_desk), "post", "/devices", {
        "kind": "pen", "manufacturer": "A", "model_name": "B", "serial_number": "C",
        "max_depth_mm": "1"}, status=403)


def test_adverse_event_and_follow_up(personas, session):  # noqa: F811
    aest, doctor = _api(personas.aesthetician), _api(personas.physician)
    chart = _json(aest, "post", "/charts", {"appointment_id": session["appt"].pk}, status=201)
    ae = _json(aest, "post", f"/charts/{chart['id']}/adverse-events", {
        "phase": "during", "kind": "bleeding", "severity": "mild",
        "description": "Pinpoint bleeding beyond the endpoint."}, status=201)
    assert ae["status"] == "open" and ae["chart_id"] == chart["id"]
    bad = _json(aest, "post", f"/charts/{chart['id']}/adverse-events",
                {"kind": "nonsense", "severity": "mild"}, status=422)
    assert bad["field"] == "kind"
    done = _json(doctor, "post", f"/adverse-events/{ae['id']}/follow-ups",
                 {"note": "Settled.", "status": "resolved"})
    assert done["status"] == "resolved" and done["notes"][0]["note"] == "Settled."
    listing = _json(doctor, "get", "/adverse-events")
    assert [e["id"] for e in listing["items"]] == [ae["id"]]
    assert _api(personas.other_clinic_user).get(
        f"/api/v1/adverse-events/{ae['id']}").status_code == 404


def test_consent_paper_withdraw_and_pdf(personas, session):  # noqa: F811
    nurse = _api(personas.nurse)
    patient = session["patient"]
    [template] = nurse.get("/api/v1/consent-templates",
                           {"procedure": "photography", "language": "en"}).json()["items"]
    scan = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    r = nurse.post(f"/api/v1/patients/{patient.pk}/consents/paper",
                   {"template_id": template["id"], "signer_name": "Chloé Roy", "scan": scan})
    assert r.status_code == 201, r.content
    consent = r.json()
    assert consent["method"] == "paper"
    fake = SimpleUploadedFile("scan.pdf", b"not a pdf", content_type="application/pdf")
    r = nurse.post(f"/api/v1/patients/{patient.pk}/consents/paper",
                   {"template_id": template["id"], "signer_name": "X", "scan": fake})
    assert r.status_code == 422 and r.json()["code"] == "consent.scan"
    pdf = nurse.get(f"/api/v1/consents/{consent['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    gone = _json(nurse, "post", f"/consents/{consent['id']}/withdraw", {"reason": "Changed mind"})
    assert gone["withdrawn_reason"] == "Changed mind"
    twice = _json(nurse, "post", f"/consents/{consent['id']}/withdraw", {"reason": "again"},
                  status=422)
    assert twice["code"] == "consent.reason"
