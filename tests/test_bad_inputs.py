"""The corpus of inputs that once answered HTTP 500 (issue 13): each is sent to the API and,
where the web has the same door, to the web; each must be refused with a 4xx (the API with
a JSON ``{code, message}``) or, where the input is legitimate, accepted — never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from puncta.accounts.models import ApiToken
from puncta.clinics.models import Location, Room
from puncta.patients.models import Patient

from .charting.conftest import session  # noqa: F401  (fixture)
from .conftest import client_for
from .factories import PatientFactory
from .scheduling.conftest import clinic_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

NUL = "\x00"
STROKES = [[[1, 1], [5, 5], [9, 9], [20, 4], [30, 8]]]


@pytest.fixture
def ctx(personas, session):  # noqa: F811
    patient = session["patient"]
    PatientFactory(clinic=personas.clinic, mrn="P-DUP")
    other_loc = Location.objects.create(clinic=personas.other_clinic, name="Elsewhere")
    other_room = Room.objects.create(location=other_loc, name="Theirs")
    _, raw = ApiToken.issue(personas.physician, "corpus")
    from puncta.consent.models import ConsentTemplate

    template = ConsentTemplate.objects.filter(clinic=personas.clinic,
                                              procedure="microneedling").first()
    return {
        "api": Client(headers={"Authorization": f"Bearer {raw}"},
                      raise_request_exception=False),
        "web": client_for(personas.physician),
        "patient": patient, "plan": session["plan"], "appt": session["appt"],
        "lot": session["lot"], "device": session["device"], "other_room": other_room,
        "template": template,
    }


def _plan(start: str, zones: list[dict[str, object]] | None = None) -> dict[str, object]:
    return {"indication": "acne_scars", "severity": "mild", "start": start,
            "zones": zones or [{"zone": "cheek", "depth_mm": "1.5", "passes": 3}]}


NEW = {"given_name": "Zoé", "family_name": "Côté", "date_of_birth": "1990-01-01"}

# (case, method, path template, JSON body or query, expected status, expected code)
API_CORPUS = [
    ("nul in search", "get", "/api/v1/patients", {"q": NUL}, 422, "nul_character"),
    ("nul in a text field", "post", "/api/v1/patients", {**NEW, "given_name": f"A{NUL}"},
     422, "nul_character"),
    ("nul in a nested answer", "put", "/api/v1/patients/{patient}/intake",
     {"version": 1, "answers": {"notes": NUL}}, 422, "nul_character"),
    ("calendar at year 1", "get", "/api/v1/appointments",
     {"date_from": "0001-01-01", "date_to": "0001-01-02"}, 422, "invalid"),
    ("calendar at year 9999", "get", "/api/v1/appointments",
     {"date_from": "9999-12-30", "date_to": "9999-12-31"}, 422, "invalid"),
    ("calendar backwards", "get", "/api/v1/appointments",
     {"date_from": "2026-02-01", "date_to": "2026-01-01"}, 422, "range"),
    ("plan start at year 1", "post", "/api/v1/patients/{patient}/plans", _plan("0001-01-01"),
     422, "invalid"),
    ("plan start at year 9999", "post", "/api/v1/patients/{patient}/plans",
     _plan("9999-12-31"), 422, "invalid"),
    ("duplicate zone in a plan", "post", "/api/v1/patients/{patient}/plans",
     _plan("2026-12-01", [{"zone": "cheek", "depth_mm": "1.5"},
                          {"zone": "cheek", "depth_mm": "1.0"}]), 422, "plan.duplicate_zone"),
    ("booking at year 1", "post", "/api/v1/plans/{plan}/appointments",
     {"number": 1, "start": "0001-01-01T10:00:00Z", "practitioner_id": "{practitioner}",
      "room_id": "{room}", "device_id": "{device}"}, 422, "invalid"),
    ("booking at year 9999", "post", "/api/v1/plans/{plan}/appointments",
     {"number": 1, "start": "9999-12-31T23:00:00-05:00", "practitioner_id": "{practitioner}",
      "room_id": "{room}", "device_id": "{device}"}, 422, "invalid"),
    ("null for a text field", "patch", "/api/v1/patients/{patient}", {"given_name": None},
     422, "invalid"),
    ("huge offset", "get", "/api/v1/patients", {"offset": str(10**20)}, 422, "invalid"),
    ("MRN differing only in case", "post", "/api/v1/patients", {**NEW, "mrn": "p-dup"},
     422, "invalid"),
    ("NaN in a drawn signature", "post", "/api/v1/patients/{patient}/consents",
     {"template_id": "{template}", "signer_name": "P", "understood": True,
      "strokes": [[[float("nan"), 1], [5, 5], [9, 9], [20, 4], [30, 8]]]},
     422, "consent.signature"),
    ("other clinic's room in a move", "patch", "/api/v1/appointments/{appt}",
     {"start": "2026-12-07T10:00:00-05:00", "room_id": "{other_room}"}, 422,
     "resource.unknown"),
    ("future birth date on update", "patch", "/api/v1/patients/{patient}",
     {"date_of_birth": "2999-01-01"}, 422, "invalid"),
    ("cartridge draw at year 1", "post", "/api/v1/devices/lots/{lot}/draws",
     {"device_id": "{device}", "on": "0001-01-01"}, 422, "invalid"),
    ("unknown address under the API", "get", "/api/v1/no-such-thing", {}, 404, "not_found"),
    # pydantic alone reads a number as seconds since 1970: schemathesis sent on=0 and 200.
    ("a number for a date", "get", "/api/v1/devices/licences/verify",
     {"number": "12345", "on": "0"}, 422, "invalid"),
    ("a number for a date in a body", "post", "/api/v1/devices/lots/{lot}/draws",
     {"device_id": "{device}", "on": 1796000000}, 422, "invalid"),
    ("a timestamp for an instant", "patch", "/api/v1/appointments/{appt}",
     {"start": 1796000000}, 422, "invalid"),
    ("a numeric string for an instant", "patch", "/api/v1/appointments/{appt}",
     {"start": "1796000000"}, 422, "invalid"),
    # The outcomes endpoints answered {"detail": ...}: every error has the API's one shape.
    ("unknown scale in an assessment", "post", "/api/v1/courses/{plan}/assessments",
     {"scale": "no-such-scale", "when": "baseline", "answers": {}}, 422, "scale.unknown"),
]


def _fill(value: object, ids: dict[str, int]) -> object:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _ids(ctx) -> dict[str, int]:
    appt = ctx["appt"]
    return {"patient": ctx["patient"].pk, "plan": ctx["plan"].pk, "appt": appt.pk,
            "lot": ctx["lot"].pk, "device": ctx["device"].pk, "room": appt.room_id,
            "practitioner": appt.practitioner_id, "other_room": ctx["other_room"].pk,
            "template": ctx["template"].pk}


@pytest.mark.parametrize(("case", "method", "path", "data", "status", "code"), API_CORPUS,
                         ids=[c[0] for c in API_CORPUS])
def test_api_refuses_with_json(ctx, case, method, path, data, status, code):
    ids = _ids(ctx)
    url = str(_fill(path, ids))
    payload = _fill(data, ids)
    api = ctx["api"]
    if method == "get":
        r = api.get(url, payload)
    else:
        r = getattr(api, method)(url, payload, content_type="application/json")
    assert r.status_code == status, r.content
    assert r["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["code"] == code and body["message"], body


def test_api_bad_json_is_400_json(ctx):
    r = ctx["api"].post("/api/v1/patients", "{not json", content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "bad_json"


def test_api_long_unicode_name_is_stored(ctx):
    """A name whose folded search key expands beyond its column is accepted, not a 500."""
    name = "ﷺ" * 100  # each folds to 18 characters
    r = ctx["api"].post("/api/v1/patients", {**NEW, "given_name": name},
                        content_type="application/json")
    assert r.status_code == 201, r.content
    assert Patient.objects.get(pk=r.json()["id"]).given_name == name


def test_api_unexpected_error_is_json(ctx, monkeypatch):
    from puncta.patients import selectors

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "patient_get", boom)
    r = ctx["api"].get(f"/api/v1/patients/{ctx['patient'].pk}")
    assert r.status_code == 500 and r.json()["code"] == "server_error"
    assert "secret" not in r.content.decode()


# The web door: (case, method, path, form data, expected status, text on the page)
WEB_CORPUS = [
    ("nul in search", "get", "/patients/", {"q": NUL}, 400, "NUL"),
    ("nul in a form field", "post", "/patients/new/",
     {**NEW, "given_name": f"A{NUL}", "sex_at_birth": "unknown", "preferred_language": "en"},
     400, "given_name"),
    ("calendar at year 1", "get", "/calendar/", {"date": "0001-01-01"}, 200, ""),
    ("calendar at year 9999", "get", "/calendar/", {"date": "9999-12-31"}, 200, ""),
    ("plan start at year 1", "post", "/patients/{patient}/plans/new/",
     {"indication": "acne_scars", "severity": "mild", "start": "0001-01-01",
      "device_type": "pen", "numbing_minutes": "30", "depth-cheek": "1.5"}, 200,
     "between"),
    ("booking a day at year 9999", "post", "/plans/{plan}/series/",
     {"action": "book_day", "number": "2", "day": "9999-12-31"}, 302, ""),
    ("moving to year 1", "post", "/appointments/{appt}/",
     {"action": "move", "date": "0001-01-01", "time": "10:00"}, 302, ""),
    ("future birth date on update", "post", "/patients/{patient}/edit/",
     {"given_name": "A", "family_name": "B", "date_of_birth": "2999-01-01",
      "sex_at_birth": "unknown", "preferred_language": "en"}, 200, "cannot be in the future"),
    ("NaN in a drawn signature", "post", "/patients/{patient}/consent/microneedling/sign/",
     {"strokes": '[[[NaN, 1], [5, 5], [9, 9], [20, 4], [30, 8]]]', "signer_name": "P",
      "understood": "on", "template": "{template}"}, 200, "Please sign in the box"),
]


@pytest.mark.parametrize(("case", "method", "path", "data", "status", "text"), WEB_CORPUS,
                         ids=[c[0] for c in WEB_CORPUS])
def test_web_refuses_without_500(ctx, case, method, path, data, status, text):
    ids = _ids(ctx)
    web = ctx["web"]
    web.raise_request_exception = False
    url = str(_fill(path, ids))
    r = getattr(web, method)(url, _fill(data, ids))
    assert r.status_code == status, r.content[:500]
    if text:
        assert text in r.content.decode()


def test_no_half_written_patient_after_refusal(ctx):
    before = Patient.objects.count()
    ctx["api"].post("/api/v1/patients", {**NEW, "mrn": "p-dup"},
                    content_type="application/json")
    ctx["api"].post("/api/v1/patients", {**NEW, "date_of_birth": "2999-01-01"},
                    content_type="application/json")
    assert Patient.objects.count() == before


def test_dates_far_from_today_stay_refused(ctx):
    """The range check is on the day, not the clock: a year-2200 plan is refused too."""
    r = ctx["api"].post(f"/api/v1/patients/{ctx['patient'].pk}/plans",
                        _plan((dt.date(2200, 1, 1)).isoformat()),
                        content_type="application/json")
    assert r.status_code == 422
