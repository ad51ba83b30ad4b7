"""Intake questionnaire, patient links, screening by the rules engine, physician review."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from puncta import rules
from puncta.audit.models import AuditEvent
from puncta.audit.services import Actor
from puncta.patients.intake import answers, services
from puncta.patients.models import IntakeLink, IntakeStatus, Screening

from .conftest import client_for

pytestmark = pytest.mark.django_db

BORN = dt.date(1990, 4, 2)
TODAY = dt.date(2026, 11, 25)


def _link(personas, patient) -> tuple[IntakeLink, str]:
    actor = Actor(user=personas.front_desk.user, role="front_desk",
                  clinic_id=personas.clinic.pk)
    return services.intake_link_create(actor=actor, patient=patient)


# --- answers ---------------------------------------------------------------------------

def test_parse_structured_answers():
    data = {"concerns": ["acne_scars"], "concerns.sent": "1", "phototype": "4",
            "cond.herpes_simplex_history.present": "on",
            "cond.eczema.present": "on", "cond.eczema.zone": "cheek",
            "med.isotretinoin.status": "past", "med.isotretinoin.last_dose": "2026-07-01",
            "proc.filler.zones": ["upper_lip"], "proc.filler.on": "2026-09-01",
            "goals": "<script>x</script> smoother skin"}
    parsed, errors = answers.parse(data, born=BORN, today=TODAY)
    assert errors == {}
    assert parsed["concerns"] == ["acne_scars"] and parsed["phototype"] == 4
    assert parsed["cond.eczema"] == {"present": True, "zone": "cheek"}
    assert parsed["med.isotretinoin"] == {"status": "past", "last_dose": "2026-07-01"}
    assert parsed["proc.filler"] == {"zones": ["upper_lip"], "on": "2026-09-01"}
    assert parsed["goals"].startswith("<script>")  # stored as typed; templates escape it
    facts, origin = answers.to_rules_patient(birth_date=BORN, phototype=None, answers=parsed,
                                             on=TODAY)
    assert rules.Condition("eczema", zone=rules.ZoneRef("cheek")) in facts.conditions
    assert facts.medications == (rules.Medication("isotretinoin",
                                                  last_dose=dt.date(2026, 7, 1)),)
    assert facts.procedures == (rules.Procedure("filler", on=dt.date(2026, 9, 1),
                                                zone=rules.ZoneRef("upper_lip")),)
    assert origin["patient.medications[0]"] == "med.isotretinoin"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("med.isotretinoin.last_dose", "2027-01-01", "in the future"),
    ("med.isotretinoin.last_dose", "1980-01-01", "before the date of birth"),
    ("med.isotretinoin.last_dose", "yesterday", "year-month-day"),
])
def test_bad_dates_are_named(field, value, message):
    _, errors = answers.parse({"med.isotretinoin.status": "past", field: value},
                              born=BORN, today=TODAY)
    assert message in errors["med.isotretinoin"]


def test_past_medication_needs_a_date():
    _, errors = answers.parse({"med.isotretinoin.status": "past"}, born=BORN, today=TODAY)
    assert "date of the last dose" in errors["med.isotretinoin"]


# --- links and the patient's page -----------------------------------------------------

def test_staff_send_link_shows_url_qr_and_emails(personas, patient):
    patient.email = "helene@example.com"
    patient.save()
    response = client_for(personas.front_desk).post(
        reverse("patients:intake_link", args=[patient.pk]), {"email": "1"})
    html = response.content.decode()
    assert "/intake/" in html and "<svg" in html
    assert len(mail.outbox) == 1 and "/intake/" in mail.outbox[0].body
    assert mail.outbox[0].to == ["helene@example.com"]


def test_patient_fills_autosaves_and_submits(personas, patient):
    _, raw = _link(personas, patient)
    url = reverse("patients:intake_public", args=[raw])
    c = Client()
    page = c.get(url)
    assert page.status_code == 200 and "Hélène" in page.content.decode()
    version = patient.intakes.get().version
    saved = c.post(url, {"version": version, "cond.herpes_simplex_history.present": "on",
                         "concerns": ["acne_scars"], "concerns.sent": "1"},
                   HTTP_HX_REQUEST="true")
    assert "All answers saved" in saved.content.decode()
    intake = patient.intakes.get()
    assert intake.answers["cond.herpes_simplex_history"]["present"] is True
    assert intake.status == IntakeStatus.DRAFT  # a half-finished form is kept
    skimmed = c.post(url, {"version": intake.version, "submit": "1",
                           "cond.herpes_simplex_history.present": "on",
                           "concerns": ["acne_scars"], "concerns.sent": "1"})
    # a patient who skims cannot submit a clean history: every safety question needs an answer
    html = skimmed.content.decode()
    assert "Thank you" not in html and 'role="alert"' in html
    assert html.count("Please answer this question.") == len(answers.unanswered(
        patient.intakes.get().answers))
    assert not Screening.objects.filter(patient=patient).exists()
    intake = patient.intakes.get()
    done = c.post(url, {**answers.all_no(), "version": intake.version, "submit": "1",
                        "cond.herpes_simplex_history.present": "on",
                        "concerns": ["acne_scars"], "concerns.sent": "1"})
    assert "Thank you" in done.content.decode()
    screening = Screening.objects.get(patient=patient)
    assert screening.result == "review"
    assert "contraindication.herpes_simplex_history" in [f["code"] for f in screening.findings]
    # the link is single-use: nothing is shown any more
    again = c.get(url)
    assert again.status_code == 410 and "Hélène" not in again.content.decode()
    assert AuditEvent.objects.filter(patient_id=patient.pk, actor_label="patient (intake link)"
                                     ).exists()


def test_expired_and_unknown_links_show_nothing(personas, patient):
    link, raw = _link(personas, patient)
    IntakeLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    for token in (raw, "not-a-token"):
        r = Client().get(reverse("patients:intake_public", args=[token]))
        assert r.status_code == 410 and "Tremblay" not in r.content.decode()


def test_new_link_revokes_the_old_one(personas, patient):
    _, first = _link(personas, patient)
    _, second = _link(personas, patient)
    assert Client().get(reverse("patients:intake_public", args=[first])).status_code == 410
    assert Client().get(reverse("patients:intake_public", args=[second])).status_code == 200


def test_two_editors_no_lost_update(personas, patient):
    client = client_for(personas.nurse)
    url = reverse("patients:intake_desk", args=[patient.pk])
    client.get(url)
    v = patient.intakes.get().version
    client.post(url, {"version": v, "goals": "first editor"})
    stale = client.post(url, {"version": v, "goals": "second editor"})
    assert "Someone else changed these answers" in stale.content.decode()
    assert patient.intakes.get().answers["goals"] == "first editor"


# --- screening ----------------------------------------------------------------------------

def _submit(personas, patient, data):
    actor = Actor(user=personas.nurse.user, role="registered_nurse",
                  clinic_id=personas.clinic.pk)
    intake = services.intake_open(actor=actor, patient=patient)
    intake, errors = services.intake_save(actor=actor, response=intake, data=data,
                                          expected_version=intake.version)
    assert errors == {}
    return services.intake_submit(actor=actor, response=intake, by_patient=False)


def test_screening_clear_review_and_not_candidate(personas, patient):
    assert _submit(personas, patient, {"concerns": ["fine_lines"]}).result == "clear"
    assert _submit(personas, patient, {"cond.keloid_history.present": "on"}).result == "review"
    s = _submit(personas, patient, {"pregnant": "on"})
    assert s.result == "not_candidate"
    assert any(f["code"] == "contraindication.pregnancy" and f["question"] == "pregnant"
               for f in s.findings)
    # each new screening supersedes the previous one
    assert Screening.objects.filter(patient=patient, superseded_at__isnull=True).count() == 1


def test_changing_answers_after_submission_rescreens(personas, patient):
    first = _submit(personas, patient, {"concerns": ["fine_lines"]})
    client = client_for(personas.nurse)
    url = reverse("patients:intake_desk", args=[patient.pk])
    intake = patient.intakes.get()
    client.post(url, {"version": intake.version, "concerns": ["fine_lines"],
                      "concerns.sent": "1", "cond.stainless_steel_allergy.present": "on"})
    current = Screening.objects.get(patient=patient, superseded_at__isnull=True)
    assert current.pk != first.pk and current.result == "not_candidate"


def test_isotretinoin_washout_follows_clinic_setting(personas, patient):
    data = {"med.isotretinoin.status": "past",
            "med.isotretinoin.last_dose": (timezone.localdate() - dt.timedelta(days=240)
                                           ).isoformat()}
    assert _submit(personas, patient, data).result == "clear"  # 8 months > 6
    personas.clinic.isotretinoin_washout_months = 12
    personas.clinic.save()
    patient.refresh_from_db()
    assert _submit(personas, patient, data).result == "review"


def test_physician_review_queue_and_signed_decision(personas, patient):
    s = _submit(personas, patient, {"cond.herpes_simplex_history.present": "on"})
    physician = client_for(personas.physician)
    queue = physician.get(reverse("patients:review_queue")).content.decode()
    assert "Tremblay" in queue
    url = reverse("patients:review", args=[s.pk])
    no_note = physician.post(url, {"decision": "approved", "note": ""})
    assert "A note is required" in no_note.content.decode()
    physician.post(url, {"decision": "approved", "note": "OK with valacyclovir",
                         "conditions": "Antiviral prophylaxis 2 days before"})
    s.refresh_from_db()
    assert s.decision == "approved" and s.decided_by == personas.physician.user
    assert len(s.decision_sha256) == 64 and s.allows_treatment(timezone.localdate())
    assert "Tremblay" not in physician.get(reverse("patients:review_queue")).content.decode()
    event = AuditEvent.objects.filter(object_type="patients.screening",
                                      object_id=str(s.pk), action="update").get()
    assert event.reason == "OK with valacyclovir"


def test_only_physicians_review(personas, patient):
    s = _submit(personas, patient, {"cond.herpes_simplex_history.present": "on"})
    nurse = client_for(personas.nurse)
    assert nurse.get(reverse("patients:review_queue")).status_code == 403
    assert nurse.post(reverse("patients:review", args=[s.pk]),
                      {"decision": "approved", "note": "x"}).status_code == 403
    other = client_for(personas.other_clinic_user)
    assert other.get(reverse("patients:review", args=[s.pk])).status_code == 404


def test_screening_expires(personas, patient):
    s = _submit(personas, patient, {"concerns": ["texture"]})
    assert s.valid_until == s.screened_on + dt.timedelta(days=90)
    assert s.allows_treatment(s.valid_until)
    assert not s.allows_treatment(s.valid_until + dt.timedelta(days=1))


def test_french_questionnaire_renders(personas, patient):
    patient.preferred_language = "fr"
    patient.save()
    _, raw = _link(personas, patient)
    html = Client().get(reverse("patients:intake_public", args=[raw])).content.decode()
    assert "Questionnaire de santé" in html and "Allaitez-vous?" in html


# --- API -------------------------------------------------------------------------------

def test_api_intake_screening_review_consents_readiness(personas, patient):
    from puncta.accounts.models import ApiToken

    _, nurse_raw = ApiToken.issue(personas.nurse, "t")
    _, doc_raw = ApiToken.issue(personas.physician, "t")
    nurse = Client(headers={"Authorization": f"Bearer {nurse_raw}"})
    doctor = Client(headers={"Authorization": f"Bearer {doc_raw}"})
    base = f"/api/v1/patients/{patient.pk}"
    assert nurse.get("/api/v1/questionnaires/current").json()["version"]
    intake = nurse.get(f"{base}/intake").json()
    r = nurse.put(f"{base}/intake", {"version": intake["version"], "submit": True,
                                     "answers": {"cond.keloid_history.present": "on"}},
                  content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "submitted"
    stale = nurse.put(f"{base}/intake", {"version": intake["version"], "answers": {}},
                      content_type="application/json")
    assert stale.status_code == 409
    bad = nurse.put(f"{base}/intake", {"version": r.json()["version"], "answers": {
        "med.isotretinoin.status": "past", "med.isotretinoin.last_dose": "2999-01-01"}},
        content_type="application/json")
    assert bad.status_code == 422 and "med.isotretinoin" in bad.json()["errors"]
    [screening] = nurse.get(f"{base}/screenings").json()["items"]
    assert screening["result"] == "review"
    assert nurse.post(f"/api/v1/screenings/{screening['id']}/review",
                      {"decision": "approved", "note": "ok"},
                      content_type="application/json").status_code == 403
    done = doctor.post(f"/api/v1/screenings/{screening['id']}/review",
                       {"decision": "approved", "note": "ok"}, content_type="application/json")
    assert done.json()["decision"] == "approved"
    ready = nurse.get(f"{base}/readiness").json()
    assert ready["ready"] is False
    assert [p["code"] for p in ready["problems"]] == ["consent.missing"]
    assert nurse.get(f"{base}/consents").json()["items"][0]["state"] == "missing"
    _, other_raw = ApiToken.issue(personas.other_clinic_user, "t")
    other = Client(headers={"Authorization": f"Bearer {other_raw}"})
    assert other.get(f"{base}/intake").status_code == 404
    assert other.get(f"{base}/readiness").status_code == 404


def test_safety_questions_start_unanswered():
    """Defect: medications pre-set to "Never", pregnancy and conditions unticked boxes."""
    parsed, errors = answers.parse({}, born=BORN, today=TODAY)
    assert errors == {}
    assert parsed["pregnant"] is None and parsed["nursing"] is None
    assert parsed["med.isotretinoin"]["status"] == ""
    assert parsed["cond.eczema"]["present"] is None
    missing = answers.unanswered(parsed)
    assert {"pregnant", "nursing", "med.isotretinoin", "cond.eczema"} <= set(missing)
    assert "skin_thin" not in missing and "goals" not in missing
    explicit, _ = answers.parse(answers.all_no(), born=BORN, today=TODAY)
    assert answers.unanswered(explicit) == {}
    assert explicit["pregnant"] is False and explicit["cond.eczema"]["present"] is False


def test_desk_form_has_no_preselected_safety_answer(personas, patient):
    html = client_for(personas.nurse).get(
        reverse("patients:intake_desk", args=[patient.pk])).content.decode()
    assert 'name="med.isotretinoin.status" value="no" checked' not in html
    assert 'name="pregnant" value="no"' in html and 'name="pregnant" value="no" checked' not in html


def test_intake_phototype_is_offered_to_the_clinician_to_confirm(personas, patient):
    """Defect: the phototype reported at intake never reached the record."""
    _submit(personas, patient, {**answers.all_no(), "phototype": "4"})
    url = reverse("patients:screening", args=[patient.pk])
    nurse = client_for(personas.nurse)
    html = nurse.get(url).content.decode()
    assert 'id="phototype-confirm"' in html and "Confirm in the record" in html
    patient.refresh_from_db()
    assert patient.phototype != 4  # never overwritten by the intake itself
    nurse.post(url, {"phototype": "4"})
    patient.refresh_from_db()
    assert patient.phototype == 4
    assert 'id="phototype-confirm"' not in nurse.get(url).content.decode()
    assert AuditEvent.objects.filter(patient_id=patient.pk, action="update",
                                     object_type="patients.patient").exists()
