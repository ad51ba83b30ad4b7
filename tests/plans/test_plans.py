"""Treatment plans: course from the rules, zones checked as a whole, versions, approval."""

from __future__ import annotations

import pytest
from django.urls import reverse

from puncta.plans.forms import parse_depth
from puncta.plans.models import TreatmentPlan

from ..conftest import client_for

pytestmark = pytest.mark.django_db


def _post(client, patient, zones, **extra):
    data = {"indication": "acne_scars", "severity": "severe", "start": "2026-12-01",
            "device_type": "pen", "numbing_minutes": "30", "goals": "smoother cheeks", **extra}
    for code, depth, side in zones:
        data[f"depth-{code}"] = depth
        data[f"side-{code}"] = side
        data[f"passes-{code}"] = "4"
    return client.post(reverse("plans:create", args=[patient.pk]), data)


def test_physician_plans_acne_scar_course(personas, patient):
    client = client_for(personas.physician)
    response = _post(client, patient, [("cheek", "1.5", ""), ("forehead", "0.5", "")])
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get(patient=patient)
    assert sorted(z.zone for z in plan.zones.all()) == ["cheek", "forehead"]
    sessions = plan.course["sessions"]
    assert len(sessions) >= 5  # acne scars: 5 or more (clinic brief)
    assert plan.verdict == "allow" and plan.bookable
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert 'class="zonemap"' in page and "2026-12-01" in page


def test_depth_above_guidance_needs_physician_approval(personas, patient):
    client = client_for(personas.physician)
    _post(client, patient, [("forehead", "0.75", "")], indication="fine_lines",
          severity="moderate")
    plan = TreatmentPlan.objects.get(patient=patient)
    assert plan.verdict == "review" and not plan.bookable
    assert any(f["zone"] == "forehead" and f["code"] == "depth.above_guidance"
               for f in plan.findings)
    nurse = client_for(personas.nurse)
    assert nurse.post(reverse("plans:approve", args=[plan.pk]), {"note": "x"}
                      ).status_code == 403
    client.post(reverse("plans:approve", args=[plan.pk]), {"note": ""})
    plan.refresh_from_db()
    assert plan.approved_at is None
    client.post(reverse("plans:approve", args=[plan.pk]), {"note": "Thick skin, fine."})
    plan.refresh_from_db()
    assert plan.approved_by == personas.physician.user and plan.bookable


def test_refused_zone_is_shown_next_to_it(personas, patient):
    client = client_for(personas.physician)
    _post(client, patient, [("eyelid", "0.25", "left")], indication="wrinkles",
          severity="mild")
    plan = TreatmentPlan.objects.get(patient=patient)
    assert plan.verdict == "refuse"
    html = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert "z-refuse" in html


@pytest.mark.parametrize(("raw", "message"), [
    ("1,5", "Use a point for decimals"),
    ("15", "not a microneedling depth"),
    ("abc", "Enter the depth in millimetres"),
    ("-1", "above 0 mm"),
    ("0.125", "at most two decimals"),
])
def test_depth_input_is_never_guessed(raw, message):
    value, error = parse_depth(raw)
    assert value is None and message in error


def test_bad_depth_shows_error_at_the_zone_and_saves_nothing(personas, patient):
    response = _post(client_for(personas.physician), patient, [("cheek", "1,5", "")])
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="depth-cheek-error"' in html and "Use a point for decimals" in html
    assert 'value="1,5"' in html
    assert not TreatmentPlan.objects.exists()


def test_revision_keeps_old_version(personas, patient):
    client = client_for(personas.physician)
    _post(client, patient, [("cheek", "1.0", "")])
    first = TreatmentPlan.objects.get()
    data = {"indication": "acne_scars", "severity": "moderate", "start": "2026-12-01",
            "device_type": "pen", "numbing_minutes": "45", "depth-cheek": "1.5",
            "passes-cheek": "3", "side-cheek": "left"}
    r = client.post(reverse("plans:revise", args=[patient.pk, first.pk]), data)
    assert r.status_code == 302
    first.refresh_from_db()
    second = TreatmentPlan.objects.exclude(pk=first.pk).get()
    assert first.superseded_at is not None and second.version == 2
    assert second.series_id == first.pk
    assert [z.zone for z in second.zones.all()] == ["cheek_left"]
    assert [z.zone for z in first.zones.all()] == ["cheek"]
    # Revising the old version again is refused (no lost update).
    r = client.post(reverse("plans:revise", args=[patient.pk, first.pk]), data)
    assert "changed by someone else" in r.content.decode()


def test_other_clinic_cannot_see_plan(personas, patient):
    _post(client_for(personas.physician), patient, [("cheek", "1.0", "")])
    plan = TreatmentPlan.objects.get()
    assert client_for(personas.other_clinic_user).get(
        reverse("plans:detail", args=[plan.pk])).status_code == 404


def test_plan_uses_patient_screening_answers(personas, patient):
    from puncta.audit.services import Actor
    from puncta.patients.intake import services

    actor = Actor(user=personas.nurse.user, role="registered_nurse",
                  clinic_id=personas.clinic.pk)
    intake = services.intake_open(actor=actor, patient=patient)
    services.intake_save(actor=actor, response=intake, expected_version=intake.version,
                         data={"cond.eczema.present": "on", "cond.eczema.zone": "cheek"})
    intake.refresh_from_db()
    services.intake_submit(actor=actor, response=intake, by_patient=False)
    _post(client_for(personas.physician), patient, [("cheek", "1.0", "")])
    plan = TreatmentPlan.objects.get()
    assert "contraindication.eczema" in [f["code"] for f in plan.findings]
