"""The CapabilityStatement claims only what works: every type, interaction, search
parameter, _include, sort key and operation it lists is exercised here, and none answers
404 or 400 (a search parameter is sent with ``Prefer: handling=strict``, so one the
server would silently ignore fails)."""

from __future__ import annotations

import re

import pytest

from .conftest import entries, fhir_client, valid

pytestmark = pytest.mark.django_db

STRICT = {"HTTP_PREFER": "handling=strict"}
ASYNC = {"HTTP_PREFER": "respond-async"}
SAMPLE = {"token": "x", "string": "a", "date": "ge2000-01-01", "reference": "1",
          "number": "1", "quantity": "1", "uri": "x"}


def _sample(param: dict, first: dict | None) -> str:
    if param["name"] == "_id" and first is not None:
        return first["id"]
    return SAMPLE[param["type"]]


def test_every_claim_of_the_capability_statement_works(personas, record,
                                                       django_capture_on_commit_callbacks):
    statement = fhir_client(personas.physician).get("/fhir/metadata").json()
    valid(statement)
    client = fhir_client(personas.physician)
    (rest,) = statement["rest"]
    exercised = 0
    for res in rest["resource"]:
        rtype = res["type"]
        interactions = {i["code"] for i in res.get("interaction", [])}
        first = None
        if "search-type" in interactions:
            response = client.get(f"/fhir/{rtype}", {"_count": 5}, **STRICT)
            assert response.status_code == 200, (rtype, response.content)
            found = entries(response.json())
            first = found[0] if found else None
            assert first is not None, f"no {rtype} on record to read"
        if "read" in interactions:
            one = client.get(f"/fhir/{rtype}/{first['id']}")
            assert one.status_code == 200, (rtype, one.content)
            valid(one.json())
        for param in res.get("searchParam", []):
            value = _sample(param, first)
            response = client.get(f"/fhir/{rtype}", {param["name"]: value}, **STRICT)
            assert response.status_code == 200, (rtype, param, response.content)
            exercised += 1
        for include in res.get("searchInclude", []):
            response = client.get(f"/fhir/{rtype}", {"_include": include}, **STRICT)
            assert response.status_code == 200, (rtype, include, response.content)
        sorts = re.search(r"_sort\): ([^.]*)\.", res.get("documentation", ""))
        for key in (sorts.group(1).split(", ") if sorts else []):
            for sign in ("", "-"):
                response = client.get(f"/fhir/{rtype}", {"_sort": sign + key})
                assert response.status_code == 200, (rtype, key, response.content)
        for op in res.get("operation", []):
            if op["name"] == "everything":
                response = client.get(f"/fhir/{rtype}/{record['patient'].pk}/$everything")
                assert response.status_code == 200, response.content
            elif op["name"] == "export":
                url = (f"/fhir/Group/{personas.clinic.pk}/$export" if rtype == "Group"
                       else f"/fhir/{rtype}/$export")
                with django_capture_on_commit_callbacks():
                    assert client.get(url, **ASYNC).status_code == 202, rtype
            else:
                pytest.fail(f"untested operation {op['name']} on {rtype}")
    for op in rest.get("operation", []):
        assert op["name"] == "export"
        with django_capture_on_commit_callbacks():
            assert client.get("/fhir/$export", **ASYNC).status_code == 202
    assert exercised > 50


def test_an_unlisted_type_or_parameter_is_refused(personas, record):
    client = fhir_client(personas.physician)
    statement = client.get("/fhir/metadata").json()
    listed = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {"Observation", "Media"} <= listed
    assert "Binary" not in listed
    assert client.get("/fhir/Binary/1").status_code == 404
    assert client.get("/fhir/Media", {"nope": "1"}, **STRICT).status_code == 400
