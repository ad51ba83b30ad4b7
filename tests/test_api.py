"""The JSON API: token auth, patients CRUD, validation, OpenAPI, audit."""

from __future__ import annotations

import pytest
from django.test import Client

from puncta.accounts.models import ApiToken
from puncta.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(personas):
    _, raw = ApiToken.issue(personas.nurse, "test")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    return client


NEW = {"given_name": "Zoé", "family_name": "Côté", "date_of_birth": "1992-02-29",
       "preferred_language": "fr", "concerns": ["fine_lines"], "phototype": 2}


def test_requires_token(db):
    assert Client().get("/api/v1/patients").status_code == 401
    bad = Client(headers={"Authorization": "Bearer nope"})
    assert bad.get("/api/v1/patients").status_code == 401


def test_revoked_token_is_refused(personas):
    token, raw = ApiToken.issue(personas.nurse, "t")
    token.revoke()
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get(
        "/api/v1/patients").status_code == 401


def test_create_read_update_list(api, personas):
    r = api.post("/api/v1/patients", NEW, content_type="application/json")
    assert r.status_code == 201, r.content
    created = r.json()
    assert created["family_name"] == "Côté" and created["version"] == 1
    pid = created["id"]
    assert api.get(f"/api/v1/patients/{pid}").json()["given_name"] == "Zoé"
    r = api.patch(f"/api/v1/patients/{pid}", {"phone": "819 555 0000", "version": 1},
                  content_type="application/json")
    assert r.status_code == 200 and r.json()["version"] == 2
    r = api.patch(f"/api/v1/patients/{pid}", {"phone": "819 555 1111", "version": 1},
                  content_type="application/json")
    assert r.status_code == 409
    listing = api.get("/api/v1/patients", {"q": "cote"}).json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == pid
    actions = set(AuditEvent.objects.filter(patient_id=pid).values_list("action", flat=True))
    assert actions == {"create", "read", "update", "list"}


@pytest.mark.parametrize("patch", [
    {"date_of_birth": "2999-01-01"}, {"phototype": 9}, {"concerns": ["tattoo"]},
    {"email": "nope"}, {"given_name": ""},
])
def test_invalid_input_is_422_with_field(api, patch):
    r = api.post("/api/v1/patients", {**NEW, **patch}, content_type="application/json")
    assert r.status_code == 422
    assert next(iter(patch)) in r.content.decode()


def test_front_desk_cannot_set_clinical_fields(personas):
    _, raw = ApiToken.issue(personas.front_desk, "t")
    c = Client(headers={"Authorization": f"Bearer {raw}"})
    pid = c.post("/api/v1/patients", NEW, content_type="application/json").json()["id"]
    r = c.patch(f"/api/v1/patients/{pid}", {"phototype": 5}, content_type="application/json")
    assert r.status_code == 403


def test_openapi_schema(db):
    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/patients" in paths and "/api/v1/patients/{patient_id}" in paths


def test_reference_page_for_signed_in_staff_only(personas):
    from .conftest import client_for

    anonymous = Client().get("/api/v1/docs")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    page = client_for(personas.front_desk).get("/api/v1/docs")
    assert page.status_code == 200 and b"openapi.json" in page.content
    assert b"cdn.jsdelivr" not in page.content  # served locally, under our CSP
    assert Client().get("/api/v1/openapi.json").status_code == 200


def test_every_list_is_paginated_the_same_way(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path, ops in paths.items():
        get = ops.get("get")
        if not get:
            continue
        ref = get["responses"]["200"].get("content", {}).get("application/json", {}).get(
            "schema", {}).get("$ref", "")
        if ref.split("/")[-1].startswith("Page"):
            names = {p["name"] for p in get.get("parameters", [])}
            assert {"limit", "offset"} <= names, path
        schema = get["responses"]["200"].get("content", {}).get("application/json", {}).get(
            "schema", {})
        assert schema.get("type") != "array", f"{path} answers a bare list"
