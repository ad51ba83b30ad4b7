"""Observation (scale assessments) and Media (photographs): mapping, search, permissions,
audit, and a photograph's pixels reachable only through the audited file endpoint."""

from __future__ import annotations

import json

import pytest

from puncta.audit.models import AuditEvent
from puncta.fhir import codes

from .conftest import entries, fhir_client, valid

pytestmark = pytest.mark.django_db


def test_single_item_scale_is_an_observation_with_an_integer(personas, record):
    grade = record["grade"]
    res = valid(fhir_client(personas.physician).get(f"/fhir/Observation/{grade.pk}").json())
    assert res["status"] == "final"
    assert res["code"]["coding"] == [{"system": codes.CS_SCALE, "code": "gb_qualitative",
                                      "display": "Goodman & Baron qualitative acne scar grade"}]
    assert res["valueInteger"] == 3 and "component" not in res
    assert res["subject"] == {"reference": f"Patient/{record['patient'].pk}"}
    assert res["effectiveDateTime"] == grade.on.isoformat()
    assert res["basedOn"] == [{"reference": f"CarePlan/{record['plan'].pk}"}]
    assert res["performer"] == [{"reference": f"PractitionerRole/{personas.nurse.pk}"}]
    assert {"url": codes.EXT_TIMEPOINT, "valueString": "baseline"} in res["extension"]


def test_multi_item_scale_has_a_component_per_item_and_the_session(personas, record):
    vss = record["vss"]
    res = valid(fhir_client(personas.physician).get(f"/fhir/Observation/{vss.pk}").json())
    assert res["valueInteger"] == vss.total == 5
    items = {c["code"]["coding"][0]["code"]: c["valueInteger"] for c in res["component"]}
    assert items == {"vss.vascularity": 1, "vss.pigmentation": 1, "vss.pliability": 2,
                     "vss.height": 1}
    assert res["partOf"] == [{"reference": f"Procedure/{record['chart'].pk}"}]


def test_observation_search_by_code_date_patient(personas, record):
    client = fhir_client(personas.physician)
    pid = record["patient"].pk
    by_code = entries(client.get("/fhir/Observation", {"code": f"{codes.CS_SCALE}|vss"}).json())
    assert [r["id"] for r in by_code] == [str(record["vss"].pk)]
    assert entries(client.get("/fhir/Observation",
                              {"code": "http://loinc.org|vss"}).json()) == []
    on = record["vss"].on.isoformat()
    dated = entries(client.get("/fhir/Observation", {"patient": pid, "date": on,
                                                     "_sort": "-date"}).json())
    assert {r["id"] for r in dated} >= {str(record["vss"].pk)}
    assert entries(client.get("/fhir/Observation", {"date": "lt1990-01-01"}).json()) == []


def test_media_points_at_the_audited_file_and_never_inlines_pixels(personas, record):
    photo = record["photo"]
    client = fhir_client(personas.nurse)
    bundle = client.get("/fhir/Media", {"patient": record["patient"].pk}).json()
    (res,) = entries(bundle)
    valid(res)
    assert "data" not in res["content"] and "key" not in json.dumps(res)
    assert res["content"]["url"].endswith(f"/api/v1/photos/{photo.pk}/file?size=full")
    assert res["content"]["contentType"] == "image/jpeg"
    assert res["view"]["coding"][0] == {"system": codes.CS_PHOTO_VIEW, "code": "front",
                                        "display": "Front"}
    assert res["bodySite"]["coding"][0]["code"] == "cheek_left"
    assert res["createdDateTime"] == photo.taken_on.isoformat()
    assert res["operator"] == {"reference": f"PractitionerRole/{personas.nurse.pk}"}
    # The same bearer token fetches the bytes, audited first.
    before = AuditEvent.objects.filter(action="read", object_id=str(photo.pk)).count()
    got = client.get(res["content"]["url"])
    assert got.status_code == 200 and got["Content-Type"] == "image/jpeg"
    assert AuditEvent.objects.filter(action="read", object_id=str(photo.pk)).count() == \
        before + 1


def test_media_search_params(personas, record):
    client = fhir_client(personas.physician)
    day = record["photo"].taken_on.isoformat()
    for params in ({"view": "front"}, {"created": day}, {"date": f"ge{day}"},
                   {"_id": str(record["photo"].pk)}, {"based-on": f"CarePlan/{record['plan'].pk}"}):
        assert len(entries(client.get("/fhir/Media", params).json())) == 1, params
    assert entries(client.get("/fhir/Media", {"view": "closeup"}).json()) == []


def test_roles_without_photo_or_outcome_view_are_refused(personas, record):
    client = fhir_client(personas.front_desk)
    assert client.get("/fhir/Media").status_code == 403
    assert client.get(f"/fhir/Media/{record['photo'].pk}").status_code == 403
    assert client.get("/fhir/Observation").status_code == 403
    bundle = client.get(f"/fhir/Patient/{record['patient'].pk}/$everything").json()
    types = {e["resource"]["resourceType"] for e in bundle["entry"]
             if e["search"]["mode"] == "match"}
    assert not types & {"Media", "Observation"}


def test_another_clinics_user_never_sees_them(personas, record):
    client = fhir_client(personas.other_clinic_user)
    assert entries(client.get("/fhir/Media").json()) == []
    assert entries(client.get("/fhir/Observation").json()) == []
    assert client.get(f"/fhir/Media/{record['photo'].pk}").status_code == 404
    assert client.get(f"/fhir/Observation/{record['vss'].pk}").status_code == 404


def test_everything_includes_them_and_every_one_is_audited(personas, record):
    client = fhir_client(personas.physician)
    before = AuditEvent.objects.count()
    bundle = client.get(f"/fhir/Patient/{record['patient'].pk}/$everything").json()
    found = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]}
    assert ("Media", str(record["photo"].pk)) in found
    assert {("Observation", str(record["grade"].pk)),
            ("Observation", str(record["vss"].pk))} <= found
    new = AuditEvent.objects.filter(pk__gt=0).order_by("pk")[before:]
    read = {(e.object_type, e.object_id) for e in new if e.action == "read"}
    assert ("outcomes.photo", str(record["photo"].pk)) in read
    assert ("outcomes.assessment", str(record["vss"].pk)) in read
