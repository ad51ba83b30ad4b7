"""Assessments, single-use links, the follow-up schedule with its tasks, comparison,
progress, the patient's PDF, the clinic report and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from puncta.accounts.models import ApiToken
from puncta.audit.models import AuditEvent
from puncta.charting.models import AdverseEvent
from puncta.outcomes import services, tasks
from puncta.outcomes.models import Assessment, DueStatus, FollowUp, OutcomeLink, Photo
from puncta.scheduling.models import PatientMessage

from ..conftest import client_for
from .conftest import actor_of, jpeg, signed_sessions
from .test_photos import _upload

pytestmark = pytest.mark.django_db


def _assess(personas, course, scale, answers, when="baseline", on=None):
    return services.assessment_record(actor=actor_of(personas.physician),
                                      patient=course.patient, plan=course, scale=scale,
                                      answers=answers, when=services.parse_when(when), on=on)


def test_assessment_on_the_page_scores_from_the_rules_and_shows_errors(personas, course):
    c = client_for(personas.physician)
    url = f"/outcomes/courses/{course.pk}/assess/"
    r = c.post(url, {"scale": "gb_qualitative", "when": "baseline",
                     "gb_qualitative-grade": "7"})
    assert r.status_code == 422
    page = r.content.decode()
    assert 'id="gb_qualitative-grade-error"' in page and "between 1 and 4" in page
    assert not Assessment.objects.exists()
    r = c.post(url, {"scale": "gb_qualitative", "when": "baseline",
                     "gb_qualitative-grade": "3"})
    assert r.status_code == 302
    a = Assessment.objects.get()
    assert (a.total, a.rater, a.plan_id, a.timepoint) == (3, "clinician", course.pk, "baseline")
    assert AuditEvent.objects.filter(object_type="outcomes.assessment", action="create",
                                     object_id=str(a.pk)).exists()
    # GAIS rates change: never a baseline; a patient scale is not the clinician's to fill.
    r = c.post(url, {"scale": "gais_clinician", "when": "baseline",
                     "gais_clinician-rating": "2"})
    assert r.status_code == 422 and Assessment.objects.count() == 1
    r = c.post(url, {"scale": "gais_patient", "when": "session:1", "gais_patient-rating": "2"})
    assert r.status_code == 422
    assert client_for(personas.front_desk).post(url, {"scale": "gb_qualitative",
                                                      "when": "baseline"}).status_code == 403


def test_progress_comparison_and_summary(personas, course):
    course.patient.preferred_language = "fr"
    course.patient.save()
    charts = signed_sessions(personas, course, 3)
    _assess(personas, course, "gb_qualitative", {"grade": 3}, on=course.start)
    _assess(personas, course, "gb_qualitative", {"grade": 2}, "session:3", on=charts[2].on)
    _assess(personas, course, "gais_clinician", {"rating": 2}, "session:3", on=charts[2].on)
    nurse = actor_of(personas.nurse)
    for when in ("baseline", "session:2", "session:3"):
        services.photo_add(actor=nurse, patient=course.patient, plan=course, data=jpeg(),
                           view="front", when=services.parse_when(when))
    assert Photo.objects.filter(chart=charts[1]).count() == 1  # session 2 joins its chart
    c = client_for(personas.physician)
    page = c.get(f"/outcomes/courses/{course.pk}/").content.decode()
    assert page.count('class="progresschart"') == 2
    assert "S1 1.5 mm" in page and "responder" in page
    cmp = c.get(f"/outcomes/courses/{course.pk}/compare/?view=front").content.decode()
    assert 'data-compare' in cmp and cmp.count('/thumb/"') == 3
    assert "style=" not in cmp and "<script>" not in cmp
    fragment = c.get(f"/outcomes/patients/{course.patient_id}/progress/",
                     HTTP_HX_REQUEST="true").content.decode()
    assert 'class="progresschart"' in fragment and "<html" not in fragment
    timeline = c.get(f"/charts/patient/{course.patient_id}/").content.decode()
    assert f'hx-get="/outcomes/patients/{course.patient_id}/progress/"' in timeline
    pdf = c.get(f"/outcomes/courses/{course.pk}/summary.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert b"Vos r" in pdf.content and b"/Subtype /Image" in pdf.content
    assert AuditEvent.objects.filter(action="export", object_type="plans.treatmentplan",
                                     data__document="outcome summary").exists()


def test_capture_link_single_use_from_a_phone(personas, course):
    c = client_for(personas.nurse)
    r = c.post(f"/outcomes/courses/{course.pk}/link/", {"purpose": "capture",
                                                        "when": "baseline"})
    assert r.status_code == 200
    url = r.context["url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert OutcomeLink.objects.get().token_hash != token  # only the hash is kept
    from django.test import Client

    phone = Client()
    page = phone.get(f"/o/{token}/")
    assert page.status_code == 200 and 'name="photo-front"' in page.content.decode()
    r = phone.post(f"/o/{token}/", {"photo-front": _upload(jpeg()),
                                    "photo-left45": _upload(jpeg())})
    assert r.status_code == 200 and 'id="thanks"' in r.content.decode()
    assert set(Photo.objects.values_list("view", "source")) == {("front", "phone"),
                                                                 ("left45", "phone")}
    assert phone.get(f"/o/{token}/").status_code == 410
    assert phone.post(f"/o/{token}/", {"photo-front": _upload(jpeg())}).status_code == 410
    assert Photo.objects.count() == 2


def test_patient_follow_up_link_ratings_and_overlay(personas, course):
    baseline = services.photo_add(actor=actor_of(personas.nurse), patient=course.patient,
                                  plan=course, data=jpeg(), view="front",
                                  when=services.When("baseline"))
    _link, token = services.link_create(actor=actor_of(personas.front_desk),
                                       patient=course.patient, plan=course,
                                       purpose="follow_up",
                                       when=services.When("follow_up", months=1))
    from django.test import Client

    patient = Client()
    page = patient.get(f"/o/{token}/").content.decode()
    assert "gais_patient-rating" in page and "satisfaction-satisfied" in page
    overlay = f"/o/{token}/baseline/{baseline.pk}/"
    assert overlay in page
    r = patient.get(overlay)
    assert r.status_code == 200 and AuditEvent.objects.filter(
        object_id=str(baseline.pk), action="read", data__via="link overlay").exists()
    bad = patient.post(f"/o/{token}/", {"gais_patient-rating": "9"})
    assert bad.status_code == 422 and "between 1 and 5" in bad.content.decode()
    r = patient.post(f"/o/{token}/", {"gais_patient-rating": "2",
                                      "satisfaction-satisfied": "4"})
    assert r.status_code == 200
    rows = {a.scale: a for a in Assessment.objects.all()}
    assert rows["gais_patient"].total == 2 and rows["gais_patient"].by_patient
    assert rows["satisfaction"].months == 1 and rows["satisfaction"].recorded_by is None
    assert patient.get(overlay).status_code == 404  # the link is used up


def test_end_of_course_schedules_follow_ups_as_tasks(personas, course,
                                                     django_capture_on_commit_callbacks):
    n = len(course.course["sessions"])
    charts = signed_sessions(personas, course, n - 1)
    last = charts[0].__class__.objects.get(pk=charts[-1].pk)
    last.pk = None
    last.on = charts[-1].on + dt.timedelta(days=42)
    with django_capture_on_commit_callbacks(execute=True):
        last.save()  # the last session's chart, signed
    due = list(FollowUp.objects.order_by("months").values_list("months", "due_on"))
    assert due == [(1, dt.date(last.on.year + (last.on.month == 12), last.on.month % 12 + 1,
                               last.on.day) if last.on.day <= 28 else due[0][1]),
                   (3, due[1][1]), (6, due[2][1])]
    assert DBTaskResult.objects.filter(status="READY").count() >= 6
    follow = FollowUp.objects.get(months=1)
    assert tasks.follow_up_remind_clinic.call(follow.pk, "1999-01-01") == "gone"
    assert tasks.follow_up_remind_clinic.call(follow.pk, follow.due_on.isoformat()) == "reminded"
    assert tasks.follow_up_send_link.call(follow.pk, follow.due_on.isoformat()) == "sent"
    follow.refresh_from_db()
    assert follow.status == DueStatus.SENT and follow.link.purpose == "follow_up"
    sent = [m for m in mail.outbox if m.to == ["chloe@example.org"]]
    assert len(sent) == 1 and "/o/" in sent[0].body
    logged = PatientMessage.objects.get(kind="outcome_followup")
    assert "[link]" in logged.body and "/o/" not in logged.body
    # The patient answers through the emailed link: the follow-up is done.
    token = sent[0].body.split("/o/")[1].split("/")[0]
    services.link_submit(link=services.link_resolve(token), ip=None, photos={},
                         answers={"gais_patient": {"rating": 1}})
    follow.refresh_from_db()
    assert follow.status == DueStatus.DONE


def test_follow_up_link_skipped_when_opted_out(personas, course):
    course.patient.contact_opt_out = True
    course.patient.save()
    signed_sessions(personas, course, 1)
    follows = services.follow_ups_schedule(actor=actor_of(personas.physician), plan=course,
                                           last_session=course.start)
    assert tasks.follow_up_send_link.call(follows[0].pk,
                                          follows[0].due_on.isoformat()) == "skipped"
    assert not mail.outbox


def _report_history(personas, course, make_course):
    charts = signed_sessions(personas, course, 3)
    _assess(personas, course, "gb_qualitative", {"grade": 3}, on=course.start)
    _assess(personas, course, "gb_qualitative", {"grade": 1}, "follow_up:3",
            on=charts[-1].on + dt.timedelta(days=90))
    AdverseEvent.objects.create(clinic=personas.clinic, patient=course.patient, chart=charts[0],
                                phase="after", kind="pain", severity="mild",
                                occurred_on=charts[0].on, reported_by=personas.physician.user)


def test_report_groups_and_constant_queries_and_deidentified_csv(personas, course):
    _report_history(personas, course, None)
    c = client_for(personas.clinic_admin)
    c.get("/outcomes/report/")
    with CaptureQueriesContext(connection) as one:
        r = c.get("/outcomes/report/")
    g = r.context["groups"][0]
    assert (g["indication"], g["sessions"], g["depth_band"], g["courses"]) == (
        "acne_scars", 3, "1.1–1.5", 1)
    assert g["mean_change"] == 2 and g["responders"] == 1 and g["ae_per_100"] == 33.3
    # Two more courses: the same number of queries.
    from ..scheduling.conftest import acne_plan, ready_patient

    for i in range(2):
        p = ready_patient(personas, given_name=f"Extra{i}")
        _report_history(personas, acne_plan(personas, p), None)
    with CaptureQueriesContext(connection) as three:
        r = c.get("/outcomes/report/")
    assert r.context["courses"] == 3
    assert len(one.captured_queries) == len(three.captured_queries)
    csv = c.get("/outcomes/report.csv")
    body = csv.content.decode()
    assert csv["Content-Type"].startswith("text/csv") and body.count("\n") == 4
    for secret in (course.patient.family_name, course.patient.mrn,
                   course.patient.given_name, str(course.start)):
        assert secret not in body
    assert AuditEvent.objects.filter(action="export", object_type="outcomes.report").exists()
    assert client_for(personas.front_desk).get("/outcomes/report/").status_code == 403


def _api(membership):
    _t, raw = ApiToken.issue(membership, "t")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_photos_assessments_report(personas, course, client, bare_course):
    auth = _api(personas.nurse)
    r = client.post(f"/api/v1/courses/{course.pk}/photos",
                    {"file": _upload(jpeg()), "view": "front", "when": "baseline"}, **auth)
    assert r.status_code == 201, r.content
    photo = r.json()
    assert photo["width"] == 40 and photo["when"] == "baseline"
    r = client.post(f"/api/v1/courses/{bare_course.pk}/photos",
                    {"file": _upload(jpeg()), "view": "front", "when": "baseline"}, **auth)
    assert r.status_code == 422 and r.json()["code"] == "consent.photography_missing"
    assert [p["id"] for p in client.get(f"/api/v1/courses/{course.pk}/photos",
                                        **auth).json()["items"]] == [photo["id"]]
    before = AuditEvent.objects.filter(action="read", object_id=str(photo["id"])).count()
    f = client.get(f"/api/v1/photos/{photo['id']}/file?size=thumb", **auth)
    assert f.status_code == 200 and f["Content-Type"] == "image/jpeg"
    assert b"Exif" not in f.content
    assert AuditEvent.objects.filter(action="read", object_id=str(photo["id"])).count() == (
        before + 1)
    other = _api(personas.other_clinic_user)
    assert client.get(f"/api/v1/photos/{photo['id']}/file", **other).status_code == 404
    assert client.get(f"/api/v1/photos/{photo['id']}", **other).status_code == 404
    assert client.get(f"/api/v1/photos/{photo['id']}/file",
                      **_api(personas.front_desk)).status_code == 403
    r = client.post(f"/api/v1/courses/{course.pk}/assessments",
                    {"scale": "vss", "when": "baseline",
                     "answers": {"vascularity": 9, "pigmentation": 0, "pliability": 0,
                                 "height": 0}}, content_type="application/json", **auth)
    assert r.status_code == 422 and r.json()["errors"]["vascularity"]
    r = client.post(f"/api/v1/courses/{course.pk}/assessments",
                    {"scale": "gb_quantitative", "when": "baseline",
                     "answers": {"macular": 2, "mild_atrophic": 0, "moderate_atrophic": 1,
                                 "punched_shallow": 0, "shallow_broad": 0,
                                 "punched_deep_normal": 0, "punched_deep_abnormal": 0,
                                 "linear_troughed": 0, "deep_broad": 0, "papular": 0,
                                 "keloidal": 0}}, content_type="application/json", **auth)
    assert r.status_code == 201 and r.json()["total"] == 4
    assert len(client.get(f"/api/v1/courses/{course.pk}/assessments",
                          **auth).json()["items"]) == 1
    assert client.get("/api/v1/outcomes/report", **_api(personas.clinic_admin)).status_code == 200
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/courses/{course_id}/photos" in schema["paths"]


def test_course_and_comparison_pages_constant_queries(personas, course):
    nurse = actor_of(personas.nurse)
    charts = signed_sessions(personas, course, 4)
    c = client_for(personas.physician)
    counts = []
    small = jpeg(orientation=0, gps=False)
    for batch in (1, 5):  # 2 photographs and 2 assessments, then 12 and 12
        for i in range(batch):
            for view in ("front", "left45"):
                services.photo_add(actor=nurse, patient=course.patient, plan=course,
                                   data=small, view=view,
                                   when=services.When("session", session_number=1 + i % 4))
            _assess(personas, course, "gb_qualitative", {"grade": 3 - i % 2},
                    f"session:{1 + i % 4}", on=charts[i % 4].on)
            _assess(personas, course, "gais_clinician", {"rating": 2}, f"session:{1 + i % 4}",
                    on=charts[i % 4].on)
        row = []
        for url in (f"/outcomes/courses/{course.pk}/",
                    f"/outcomes/courses/{course.pk}/compare/?view=front",
                    f"/outcomes/patients/{course.patient_id}/progress/"):
            c.get(url)
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(url).status_code == 200
            row.append(len(ctx.captured_queries))
        counts.append(row)
    assert Photo.objects.count() == 12 and Assessment.objects.count() == 12
    assert counts[0] == counts[1], counts
    print(f"course, comparison, progress pages: {counts[0]} queries")


def test_pages_in_french(personas, course):
    personas.physician.user.language = "fr"
    personas.physician.user.save()
    c = client_for(personas.physician)
    page = c.get(f"/outcomes/courses/{course.pk}/").content.decode()
    assert "Protocole photographique" in page and "Maculaire" in page
    assert "Joue gauche" in page or "45° gauche" in page
    assert "Grade qualitatif des cicatrices d'acné" in page.replace("&#x27;", "'")
    for url in ("/outcomes/", "/outcomes/report/",
                f"/outcomes/courses/{course.pk}/compare/"):
        assert '<html lang="fr">' in c.get(url).content.decode(), url
    course.patient.preferred_language = "fr"
    course.patient.save()
    _link, token = services.link_create(actor=actor_of(personas.nurse), patient=course.patient,
                                        plan=course, purpose="follow_up",
                                        when=services.When("follow_up", months=3))
    from django.test import Client

    public = Client().get(f"/o/{token}/").content.decode()
    assert "Comment sont vos résultats" in public and "Nettement amélioré" in public


def test_follow_ups_due_listed_for_the_clinic(personas, course):
    from puncta.clinics import clock

    signed_sessions(personas, course, 1)
    today = clock.today(personas.clinic)
    follows = services.follow_ups_schedule(actor=actor_of(personas.physician), plan=course,
                                           last_session=today - dt.timedelta(days=28))
    page = client_for(personas.nurse).get("/outcomes/")
    due = page.context["due"]
    assert [f.months for f in due] == [1]  # 1 month falls due within the reminder window
    assert "Chloé Roy" in page.content.decode()
    assert follows[1] not in due
    assert client_for(personas.front_desk).get("/outcomes/").status_code == 403
    assert client_for(personas.other_clinic_user).get("/outcomes/").context["due"] == []


def test_guessing_links_is_rate_limited(personas, course, settings):
    from django.test import Client

    settings.PUNCTA_INTAKE_BAD_LINK_RATE = (3, 900)
    phone = Client()
    assert [phone.get(f"/o/guess{i}/").status_code for i in range(4)] == [410, 410, 410, 429]
    _link, token = services.link_create(actor=actor_of(personas.nurse), patient=course.patient,
                                        plan=course, purpose="follow_up",
                                        when=services.When("follow_up", months=1))
    assert phone.get(f"/o/{token}/").status_code == 429  # even a good one, for a while
    assert Client(REMOTE_ADDR="10.0.0.9").get(f"/o/{token}/").status_code == 200
