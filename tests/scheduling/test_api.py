"""Plans and scheduling over the API."""

from __future__ import annotations

import pytest
from django.test import Client

from puncta.accounts.models import ApiToken

from .conftest import MONDAY, ready_patient

pytestmark = pytest.mark.django_db


def _client(membership):
    _, raw = ApiToken.issue(membership, "t")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_plan_propose_book_move_cancel(personas, clinic_ready, frozen_today):
    patient = ready_patient(personas)
    doctor, desk = _client(personas.physician), _client(personas.front_desk)
    r = doctor.post(f"/api/v1/patients/{patient.pk}/plans", {
        "indication": "acne_scars", "severity": "mild", "start": MONDAY.isoformat(),
        "zones": [{"zone": "cheek", "depth_mm": "1.5", "passes": 3}]},
        content_type="application/json")
    assert r.status_code == 201, r.content
    plan = r.json()
    assert plan["verdict"] == "allow" and len(plan["course"]["sessions"]) == 5
    bad = doctor.post(f"/api/v1/patients/{patient.pk}/plans", {
        "indication": "acne_scars", "severity": "mild", "start": MONDAY.isoformat(),
        "zones": [{"zone": "cheek", "depth_mm": "1,5"}]}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "zones.0.depth_mm"
    proposal = desk.get(f"/api/v1/plans/{plan['id']}/proposal").json()
    slot = proposal["items"][0]["slot"]
    booked = desk.post(f"/api/v1/plans/{plan['id']}/appointments", {
        "number": 1, "start": slot["start"], "practitioner_id": slot["practitioner_id"],
        "room_id": slot["room_id"], "device_id": slot["device_id"],
        "supervisor_id": slot["supervisor_id"]}, content_type="application/json")
    assert booked.status_code == 201, booked.content
    again = desk.post(f"/api/v1/plans/{plan['id']}/appointments", {
        "number": 1, "start": slot["start"], "practitioner_id": slot["practitioner_id"],
        "room_id": slot["room_id"], "device_id": slot["device_id"]},
        content_type="application/json")
    assert again.status_code == 422
    assert "slot.taken" in [x["code"] for x in again.json()["refusals"]]
    rest = desk.post(f"/api/v1/plans/{plan['id']}/book-series")
    assert rest.status_code == 201 and len(rest.json()) == 4
    appt_id = booked.json()["id"]
    listing = desk.get("/api/v1/appointments", {"date_from": MONDAY.isoformat(),
                                                "date_to": MONDAY.isoformat()}).json()
    assert [a["id"] for a in listing["items"]] == [appt_id]
    cancelled = desk.post(f"/api/v1/appointments/{appt_id}/cancel", {"reason": "ill"},
                          content_type="application/json")
    assert cancelled.json()["status"] == "cancelled"
    other = _client(personas.other_clinic_user)
    assert other.get(f"/api/v1/plans/{plan['id']}").status_code == 404


@pytest.mark.parametrize(("depth", "code"), [("0.75", "plan.awaiting_approval"),
                                             ("1.0", "plan.refused")])
def test_booking_the_series_of_an_unbookable_plan_is_refused_with_a_code(
        personas, clinic_ready, frozen_today, depth, code):
    """Issue "One clinical truth": never a success that books nothing."""
    from puncta.scheduling.models import Appointment

    patient = ready_patient(personas)
    doctor, desk = _client(personas.physician), _client(personas.front_desk)
    r = doctor.post(f"/api/v1/patients/{patient.pk}/plans", {
        "indication": "acne_scars", "severity": "mild", "start": MONDAY.isoformat(),
        "zones": [{"zone": "forehead", "depth_mm": depth, "passes": 3}]},
        content_type="application/json")
    assert r.status_code == 201, r.content
    plan = r.json()
    assert plan["verdict"] == ("review" if code == "plan.awaiting_approval" else "refuse")
    booked = desk.post(f"/api/v1/plans/{plan['id']}/book-series", {},
                       content_type="application/json")
    assert booked.status_code in (409, 422), booked.content
    assert booked.json()["code"] == code and booked.json()["message"]
    assert not Appointment.objects.filter(plan_id=plan["id"]).exists()


def test_moving_a_session_to_before_the_patients_birth_is_refused_not_a_server_error(
        personas, clinic_ready, frozen_today):
    """CI found it: a schema-valid start in 2000 for a patient born later was a 500 (the
    rules refuse such input with RulesInputError); it is a refusal with a code."""
    import datetime as dt

    from puncta.scheduling.models import Appointment

    patient = ready_patient(personas)
    patient.date_of_birth = dt.date(2001, 6, 1)
    patient.save(update_fields=["date_of_birth"])
    doctor, desk = _client(personas.physician), _client(personas.front_desk)
    plan = doctor.post(f"/api/v1/patients/{patient.pk}/plans", {
        "indication": "acne_scars", "severity": "mild", "start": MONDAY.isoformat(),
        "zones": [{"zone": "cheek", "depth_mm": "1.5", "passes": 3}]},
        content_type="application/json").json()
    booked = desk.post(f"/api/v1/plans/{plan['id']}/book-series")
    assert booked.status_code == 201, booked.content
    appt = booked.json()[0]
    for start in ("2000-01-03T15:00:00Z", "2001-05-31T15:00:00-04:00"):
        moved = doctor.patch(f"/api/v1/appointments/{appt['id']}", {
            "start": start, "override_reason": "patient asked"},
            content_type="application/json")
        assert moved.status_code == 422, moved.content
        assert "date.before_birth" in [x["code"] for x in moved.json()["refusals"]]
    assert Appointment.objects.get(pk=appt["id"]).start == dt.datetime.fromisoformat(appt["start"])
