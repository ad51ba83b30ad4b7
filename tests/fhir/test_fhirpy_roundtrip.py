"""The round trip with a client nobody here wrote: fhirpy against a live server. Search,
page, read, $everything, $export and its files; every resource validates with
fhir.resources; the other clinic's patient is never found."""

from __future__ import annotations

import json
import time

import pytest
import requests
from django.core.management import call_command
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from puncta.fhir import codes

from .conftest import token_for, valid

pytestmark = pytest.mark.django_db(transaction=True)


def as_dicts(resources):
    return [valid(r.serialize()) for r in resources]


def test_fhirpy_round_trip(django_db_setup, live_server, personas, record, settings, tmp_path):
    # django_db_setup first: a live server started before the test database exists would
    # think SQLite is in memory and share one connection across its threads.
    settings.MEDIA_ROOT = tmp_path / "media"
    raw = token_for(personas.physician)
    base = f"{live_server.url}/fhir"
    client = SyncFHIRClient(base, authorization=f"Bearer {raw}")
    patient, second, other = record["patient"], record["second"], record["other"]

    # Search and page: one patient a page, fhirpy follows the Bundle's next links.
    paged = as_dicts(client.resources("Patient").limit(1).sort("family").fetch_all())
    assert [p["id"] for p in paged] == [str(second.pk), str(patient.pk)]  # Ayotte, Tremblay
    assert client.resources("Patient").count() == 2
    found = as_dicts(client.resources("Patient").search(name="hélène").fetch())
    assert [p["id"] for p in found] == [str(patient.pk)]
    born = patient.date_of_birth.isoformat()
    assert str(patient.pk) in {p["id"] for p in as_dicts(
        client.resources("Patient").search(birthdate__ge=born).fetch_all())}

    # Read by id, and the other clinic's patient is not there by any road.
    read = client.reference("Patient", str(patient.pk)).to_resource()
    assert valid(read.serialize())["name"][0]["family"] == "Tremblay"
    with pytest.raises(ResourceNotFound):
        client.reference("Patient", str(other.pk)).to_resource()
    assert client.resources("Patient").search(_id=other.pk).fetch() == []
    assert client.resources("Patient").search(name="oscar").fetch() == []
    with pytest.raises(ResourceNotFound):
        client.execute(f"Patient/{other.pk}/$everything", method="get")

    # Every type, every page, validates.
    for rtype in ("Practitioner", "PractitionerRole", "Organization", "Location", "Device",
                  "Consent", "QuestionnaireResponse", "CarePlan", "Appointment",
                  "Procedure", "AdverseEvent", "DocumentReference", "AuditEvent",
                  "Observation", "Media"):
        assert as_dicts(client.resources(rtype).limit(2).fetch_all()), rtype
    procs = client.resources("Procedure").include("Procedure", "device").fetch_raw()
    assert {e.resource.resourceType for e in procs.entry} == {"Procedure", "Device"}

    # Outcomes: a scale by its code, a photograph whose pixels come from the audited file
    # endpoint with the same token (never inline).
    scored = as_dicts(client.resources("Observation").search(
        code=f"{codes.CS_SCALE}|vss", patient=patient.pk).fetch())
    assert [o["valueInteger"] for o in scored] == [record["vss"].total]
    (media,) = as_dicts(client.resources("Media").search(patient=patient.pk).fetch())
    assert "data" not in media["content"]
    image = requests.get(media["content"]["url"], timeout=30,
                         headers={"Authorization": f"Bearer {raw}"})
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    assert requests.get(media["content"]["url"], timeout=30).status_code == 401

    # $everything
    bundle = client.execute(f"Patient/{patient.pk}/$everything", method="get")
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "Procedure", "CarePlan", "Consent", "Appointment", "Observation",
            "Media"} <= kinds
    for e in bundle["entry"]:
        valid(e["resource"])

    # Errors come back as OperationOutcome, which fhirpy turns into its exception.
    with pytest.raises(OperationOutcome):
        client.resources("Patient").search(birthdate="not-a-date").fetch()

    # $export: kick-off (fhirpy has no bulk client: plain HTTP with the same token), the
    # worker runs it, the manifest is polled, the files fetched.
    auth = {"Authorization": f"Bearer {raw}"}
    kick = requests.get(f"{base}/$export", params={"_type": "Patient,Procedure,Observation,Media"},
                        headers={**auth, "Prefer": "respond-async",
                                 "Accept": "application/fhir+json"}, timeout=30)
    assert kick.status_code == 202
    status_url = kick.headers["Content-Location"]
    assert requests.get(status_url, headers=auth, timeout=30).status_code == 202
    call_command("db_worker", "--batch", "--no-startup-delay")
    for _ in range(50):
        polled = requests.get(status_url, headers=auth, timeout=30)
        if polled.status_code == 200:
            break
        time.sleep(0.1)
    assert polled.status_code == 200, polled.text
    output = {o["type"]: o for o in polled.json()["output"]}
    for rtype, item in output.items():
        got = requests.get(item["url"], headers=auth, timeout=30)
        assert got.status_code == 200
        resources = [valid(json.loads(line)) for line in got.text.splitlines()]
        assert len(resources) == item["count"]
        assert {r["resourceType"] for r in resources} == {rtype}
    exported = requests.get(output["Patient"]["url"], headers=auth, timeout=30).text
    assert {json.loads(line)["id"] for line in exported.splitlines()} == {
        str(patient.pk), str(second.pk)}
    assert requests.get(output["Patient"]["url"], timeout=30).status_code == 401
