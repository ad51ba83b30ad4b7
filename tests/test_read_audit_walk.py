"""Every read audited, proven by a walk.

The walk enumerates every web URL pattern (Django's resolver) and every API operation
(the OpenAPI schema), fills each with real ids from a world holding one of every object,
calls each GET as each persona (and anonymously), and fails if a response that shows the
patient's data (the name, the record number or a health answer) left no audit event
naming that patient. A new route must be added to ``WEB_KWARGS`` / ``API_PARAMS``: an
unknown route fails the walk, so nothing new escapes it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from puncta.accounts.models import ApiToken
from puncta.api.urls import api
from puncta.audit.models import Action, AuditEvent
from puncta.charting import services as charting
from puncta.outcomes import services as outcome_services
from puncta.patients.intake import services as intake_services
from puncta.scheduling.models import PatientMessage

# The clinic's clock frozen on the evening of a fixed session day (charts are signed
# after their session): no part of the walk depends on the wall clock.
from .charting.conftest import (  # noqa: F401
    _evening_of_the_session_day,
    book,
    make_lot,
)
from .conftest import client_for
from .scheduling.conftest import acne_plan, actor_of, clinic_ready, ready_patient  # noqa: F401

pytestmark = pytest.mark.django_db

HEALTH_MARK = "Zqx-health-answer-marker"  # a free-text health answer, unique in the page
# The condition answered yes, as code and as the questionnaire and findings word it.
STRUCTURED_ANSWER = ("herpes_simplex_history", "History of herpes simplex")
READ_ACTIONS = {Action.READ, Action.LIST, Action.EXPORT}
ROLES = ("physician", "nurse", "nurse_practitioner", "aesthetician", "front_desk",
         "clinic_admin", "other_clinic_user", "anonymous",
         # Pages answer htmx requests with fragments, sometimes from another branch.
         "physician+htmx", "front_desk+htmx")

# URL name -> how to fill its parameters from the world (keys of ``world``); None: a page
# that takes no ids. Every named route must be listed here.
WEB_KWARGS: dict[str, dict[str, str] | None] = {
    "login": None, "logout": None, "mfa_enrol": None, "mfa_verify": None,
    "mfa_recovery_codes": None, "mfa_reset": None,
    "web:dashboard": None, "web:patient_list": None, "web:patient_create": None,
    "web:patient_detail": {"pk": "patient"}, "web:patient_edit": {"pk": "patient"},
    "web:audit_log": None, "web:switch_clinic": None, "web:set_language": None,
    "web:compliance": None, "web:rebook": None, "web:patient_merge": {"pk": "patient"},
    "charting:return": {"pk": "chart"}, "charting:copy_last": {"pk": "chart"},
    "charting:correct_equipment": {"pk": "chart"},
    "devices:device_list": None, "devices:device_create": None,
    "devices:device_detail": {"pk": "device"}, "devices:device_edit": {"pk": "device"},
    "devices:device_log": {"pk": "device"}, "devices:registry": None,
    "devices:lot_list": None, "devices:product_create": None,
    "devices:lot_detail": {"pk": "lot"}, "devices:lot_trace": {"pk": "lot"},
    "patients:intake_desk": {"pk": "patient"}, "patients:intake_link": {"pk": "patient"},
    "patients:screening": {"pk": "patient"}, "patients:review_queue": None,
    "patients:review": {"screening_id": "screening"},
    "patients:intake_public": {"token": "link_token"},
    "consent:patient": {"pk": "patient"},
    "consent:sign": {"pk": "patient", "procedure": "procedure"},
    "consent:pdf": {"consent_id": "consent"}, "consent:scan": {"consent_id": "consent"},
    "consent:withdraw": {"consent_id": "consent"}, "consent:templates": None,
    "plans:create": {"pk": "patient"}, "plans:revise": {"pk": "patient", "plan_id": "plan"},
    "plans:detail": {"plan_id": "plan"}, "plans:approve": {"plan_id": "plan"},
    "scheduling:series": {"plan_id": "plan"}, "scheduling:series_ics": {"plan_id": "plan"},
    "scheduling:calendar": None, "scheduling:practitioner_ics": {"membership_id": "member"},
    "scheduling:appointment": {"appointment_id": "appointment"},
    "scheduling:hours": None, "scheduling:messages": None,
    "charting:home": None, "charting:queue": None,
    "charting:start": {"appointment_id": "appointment"},
    "charting:walk_in": {"patient_id": "patient"}, "charting:chart": {"pk": "chart"},
    "charting:cosign": {"pk": "chart"}, "charting:attest": {"pk": "chart"},
    "charting:amend": {"pk": "chart"},
    "charting:aftercare": {"pk": "chart"}, "charting:aftercare_pdf": {"pk": "chart"},
    "charting:ae_add": {"pk": "chart"}, "charting:patient_course": {"patient_id": "patient"},
    "charting:ae_report": None, "charting:ae_detail": {"ae_id": "adverse_event"},
    "outcomes:home": None, "outcomes:report": None, "outcomes:report_csv": None,
    "outcomes:patient": {"patient_id": "patient"},
    "outcomes:patient_progress": {"patient_id": "patient"},
    "outcomes:course": {"plan_id": "plan"}, "outcomes:photo_upload": {"plan_id": "plan"},
    "outcomes:assess": {"plan_id": "plan"}, "outcomes:compare": {"plan_id": "plan"},
    "outcomes:link": {"plan_id": "plan"}, "outcomes:schedule": {"plan_id": "plan"},
    "outcomes:summary": {"plan_id": "plan"},
    "outcomes:photo": {"pk": "photo", "size": "photo_size"},
    "outcomes:public": {"token": "outcome_token"},
    "outcomes:public_baseline": {"token": "outcome_token", "pk": "photo"},
}
# Query strings that make a page show rows (a search, a date with appointments).
WEB_QUERY: dict[str, dict[str, str]] = {
    "web:patient_list": {"q": "Wilhelmina"},
    "scheduling:calendar": {"view": "week"},
}
# API path parameter -> world key.
API_PARAMS = {"patient_id": "patient", "device_id": "device", "lot_id": "lot",
              "plan_id": "plan", "chart_id": "chart", "appointment_id": "appointment",
              "screening_id": "screening", "course_id": "plan", "photo_id": "photo",
              "consent_id": "consent", "event_id": "adverse_event"}
API_QUERY: dict[str, dict[str, str]] = {
    "/api/v1/patients": {"q": "Wilhelmina"},
    "/api/v1/devices/licences/verify": {"licence": "99501"},
}


def walk_web_routes() -> list[str]:
    """Every named route, with its namespace, from the resolver."""
    names: list[str] = []

    def visit(patterns: list[Any], ns: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace and p.namespace.startswith(("api-v1", "fhir")):
                    continue  # the API and FHIR are walked from their own lists
                visit(p.url_patterns, f"{ns}{p.namespace}:" if p.namespace else ns)
            elif isinstance(p, URLPattern) and p.name:
                names.append(f"{ns}{p.name}")

    visit(get_resolver().url_patterns, "")
    return names


def walk_api_gets() -> list[str]:
    schema = api.get_openapi_schema()
    return [path for path, ops in schema["paths"].items() if "get" in ops]


@pytest.fixture
def world(personas, clinic_ready,  # noqa: F811
          django_capture_on_commit_callbacks, settings, tmp_path) -> dict[str, Any]:
    """One of every object, all about one patient with a distinctive name and answers."""
    settings.STORAGES = {**settings.STORAGES, "photos": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "photos")}}}
    device = clinic_ready["device"]
    patient = ready_patient(personas, given_name="Wilhelmina", family_name="Walkerley")
    nurse, doctor = actor_of(personas.nurse), actor_of(personas.physician)
    plan = acne_plan(personas, patient, start=timezone.localdate())
    lot = make_lot(personas.clinic, device)
    appt = book(personas, plan, device, supervisor=personas.physician)
    aest = actor_of(personas.aesthetician)
    chart = charting.chart_start(actor=aest, appointment=appt)
    chart, errors = charting.chart_save(
        actor=aest, chart=chart, expected_version=chart.version,
        data={"practitioner_id": chart.practitioner_id, "supervisor_id": personas.physician.pk,
              "device_id": device.pk, "lot_number": lot.lot_number,
              "today": {"answered": True}, "photos_taken": True, "cleansing": "chlorhexidine",
              "numbing": {"used": True, "product": "emla", "amount_g": "10",
                          "area_cm2": "100", "applied_at": "09:00", "removed_at": "09:40",
                          "occluded": False},
              "zones": [{"zone": "cheek", "depth_mm": "1.5", "passes": 3,
                         "pattern": "horizontal", "endpoint": "pinpoint_bleeding"}],
              "duration_min": 30})
    assert not errors, errors
    chart = charting.chart_attest_supervision(actor=doctor, chart=chart)
    with django_capture_on_commit_callbacks(execute=False):
        chart = charting.chart_sign(actor=aest, chart=chart)
    ae = charting.adverse_event_record(
        actor=aest, patient=patient, chart=chart, phase="after", kind="bleeding",
        severity="mild", description="walk", action_taken="pressure")
    # A second, unsigned chart (the drafts list) from a walk-in.
    charting.chart_start_walk_in(actor=doctor, patient=patient,
                                 practitioner=personas.physician, plan=plan,
                                 indication="", severity="")
    PatientMessage.objects.create(patient=patient, appointment=appt, kind="reminder_24h",
                                  subject=f"Reminder for {patient.family_name}", body="b",
                                  status="queued")
    # The health answers come last (a review finding would stop the chart above), and
    # send the screening to the physician's review queue.
    intake = intake_services.intake_open(actor=nurse, patient=patient)
    intake_services.intake_save(
        actor=nurse, response=intake, expected_version=intake.version, partial=True,
        data={"other_history": HEALTH_MARK, "cond.herpes_simplex_history.present": "on"})
    intake.refresh_from_db()
    screening = intake_services.screening_run(actor=nurse, intake=intake)
    _, link_token = intake_services.intake_link_create(actor=nurse, patient=patient)
    consent = patient.consents.first()
    # Outcomes: a baseline photograph, follow-ups due, and the patient's follow-up link.
    from .outcomes.conftest import jpeg

    photo = outcome_services.photo_add(
        actor=nurse, patient=patient, plan=plan, data=jpeg(), view="front",
        when=outcome_services.When("baseline"))
    outcome_services.follow_ups_schedule(  # the 1-month follow-up due within the week
        actor=doctor, plan=plan, last_session=timezone.localdate() - dt.timedelta(days=28))
    _, outcome_token = outcome_services.link_create(
        actor=nurse, patient=patient, plan=plan, purpose="follow_up",
        when=outcome_services.When("follow_up", months=1))
    return {"photo": photo, "photo_size": "thumb", "outcome_token": outcome_token,
            "patient": patient, "mrn": patient.mrn, "device": device, "lot": lot,
            "plan": plan, "appointment": appt, "chart": chart, "adverse_event": ae,
            "screening": screening, "consent": consent, "link_token": link_token,
            "procedure": "microneedling", "member": personas.aesthetician.pk}


def shows_patient(body: str, world: dict[str, Any]) -> str:
    patient = world["patient"]
    # The API names a patient by id: a record of theirs (chart, plan, screening) is theirs.
    if re.search(rf'"patient_id":\s*{patient.pk}\b', body):
        return "record (patient_id)"
    for mark, what in ((patient.family_name, "name"), (world["mrn"], "MRN"),
                       (HEALTH_MARK, "health answer")):
        if mark and mark in body:
            return what
    return ""


def _client(personas, role: str) -> tuple[Client, dict[str, str]]:
    if role == "anonymous":
        return Client(), {}
    if role.endswith("+htmx"):
        client, headers = _client(personas, role.removesuffix("+htmx"))
        client.defaults["HTTP_HX_REQUEST"] = "true"
        return client, headers
    membership = getattr(personas, role)
    _, raw = ApiToken.issue(membership, "walk")
    return client_for(membership), {"Authorization": f"Bearer {raw}"}


def _audited(since: int, patient_id: int) -> bool:
    return AuditEvent.objects.filter(pk__gt=since, patient_id=patient_id,
                                     action__in=READ_ACTIONS).exists()


def _last_id() -> int:
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def _web_urls(world: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    from django.urls import reverse

    names = walk_web_routes()
    unknown = [n for n in names if n not in WEB_KWARGS]
    assert not unknown, f"routes the walk does not know how to call: {unknown}"
    out = []
    for name in names:
        spec = WEB_KWARGS[name] or {}
        kwargs = {k: (world[v].pk if hasattr(world[v], "pk") else world[v])
                  for k, v in spec.items()}
        out.append((name, reverse(name, kwargs=kwargs), WEB_QUERY.get(name, {})))
    return out


# FHIR reads (bearer token, like the API): every resource type searched by the patient,
# the patient read and searched by name, and $everything.
FHIR_PATIENT_TYPES = ("Consent", "QuestionnaireResponse", "CarePlan", "Appointment",
                      "Procedure", "AdverseEvent", "DocumentReference")


def _fhir_urls(world: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    pid = world["patient"].pk
    out = [("fhir Patient read", f"/fhir/Patient/{pid}", {}),
           ("fhir Patient search", "/fhir/Patient", {"name": "Wilhelmina"}),
           ("fhir $everything", f"/fhir/Patient/{pid}/$everything", {})]
    out += [(f"fhir {t} search", f"/fhir/{t}", {"patient": str(pid)})
            for t in FHIR_PATIENT_TYPES]
    return out


def _token_door(url: str) -> bool:
    return url.startswith(("/api/", "/fhir/"))


def _api_urls(world: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for path in walk_api_gets():
        params = re.findall(r"{(\w+)}", path)
        unknown = [p for p in params if p not in API_PARAMS]
        assert not unknown, f"API parameters the walk does not know: {path} {unknown}"
        url = path
        for p in params:
            url = url.replace("{" + p + "}", str(world[API_PARAMS[p]].pk))
        out.append((path, url, API_QUERY.get(path, {})))
    return out


def test_every_read_of_patient_data_is_audited(personas, world):
    web, api_gets = _web_urls(world), _api_urls(world) + _fhir_urls(world)
    assert len(web) >= 50 and len(api_gets) >= 15
    seen: set[str] = set()
    missing: list[str] = []
    walked = 0
    for role in ROLES:
        client, headers = _client(personas, role)
        for name, url, query in [*web, *api_gets]:
            since = _last_id()
            response = client.get(url, query, headers=headers if _token_door(url) else {})
            walked += 1
            body = response.content.decode(errors="replace")
            what = shows_patient(body, world) if response.status_code == 200 else ""
            if not what:
                continue
            seen.add(name)
            if role == "other_clinic_user" and name != "patients:intake_public":
                # (the public intake link is its own credential, whoever holds it)
                missing.append(f"{role} {name}: another clinic sees the patient's {what}")
            elif not _audited(since, world["patient"].pk):
                missing.append(f"{role} GET {url}: shows the patient's {what}, no audit event")
    assert not missing, "\n".join(missing)
    # The walk really reached the patient's data on the pages that hold it.
    for must in ("web:patient_detail", "charting:chart", "charting:home", "charting:queue",
                 "charting:ae_report", "patients:intake_desk", "charting:amend",
                 "/api/v1/patients/{patient_id}", "/api/v1/charts/{chart_id}",
                 "fhir Patient read", "fhir $everything"):
        assert must in seen, must
    assert walked == len(ROLES) * (len(web) + len(api_gets))


def test_walk_knows_every_route():
    """The walk's tables are exactly the routes there are (no stale entries either)."""
    assert set(walk_web_routes()) == set(WEB_KWARGS)


def test_front_desk_never_sees_health_answers(personas, world):
    web, api_gets = _web_urls(world), _api_urls(world) + _fhir_urls(world)
    client, headers = _client(personas, "front_desk")
    leaks = []
    for name, url, query in [*web, *api_gets]:
        response = client.get(url, query, headers=headers if _token_door(url) else {})
        body = response.content.decode(errors="replace")
        # The blank questionnaire asks about every condition: questions are not answers.
        marks = (HEALTH_MARK,) if name == "/api/v1/questionnaires/current" else (
            HEALTH_MARK, *STRUCTURED_ANSWER)
        for mark in marks:
            if mark in body:
                leaks.append(f"{name}: {mark}")
    assert not leaks, leaks
    # Refused, not silently empty: the intake page and the intake API operation.
    patient = world["patient"]
    assert client.get(f"/patients/{patient.pk}/intake/").status_code == 403
    r = client.get(f"/api/v1/patients/{patient.pk}/intake", headers=headers)
    assert r.status_code == 403 and r.json()["message"]


def test_front_desk_still_sends_the_link_and_sees_the_screening_state(personas, world):
    patient = world["patient"]
    client, _ = _client(personas, "front_desk")
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Needs physician review" in page  # the state, not the answers
    assert f"/patients/{patient.pk}/screening/" not in page
    assert f"/patients/{patient.pk}/intake/\"" not in page  # no link to the answers
    sent = client.post(f"/patients/{patient.pk}/intake/link/")
    assert sent.status_code == 200 and "/intake/" in sent.content.decode()
    assert HEALTH_MARK not in sent.content.decode()
