"""Every resource type, read and searched, validates; each mapping carries what matters."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from puncta.audit.models import AuditEvent
from puncta.fhir import codes
from puncta.fhir.registry import SPECS

from .conftest import entries, fhir_client, valid

pytestmark = pytest.mark.django_db


def test_every_type_searches_and_reads_valid_resources(personas, record):
    client = fhir_client(personas.physician)
    for rtype in SPECS:
        response = client.get(f"/fhir/{rtype}", {"_count": 100})
        assert response.status_code == 200, (rtype, response.content)
        assert response["Content-Type"].startswith("application/fhir+json")
        bundle = response.json()
        found = entries(bundle)
        assert found, f"no {rtype} on record"
        for resource in found:
            assert resource["resourceType"] == rtype
            valid(resource)
        one = client.get(f"/fhir/{rtype}/{found[0]['id']}")
        assert one.status_code == 200 and valid(one.json())["id"] == found[0]["id"]


def test_patient_mapping(personas, record):
    p = record["patient"]
    response = fhir_client(personas.nurse).get(f"/fhir/Patient/{p.pk}")
    assert response["ETag"] == f'W/"{p.version}"'
    res = response.json()
    assert res["meta"]["versionId"] == str(p.version)
    assert res["identifier"][0] == {
        "use": "usual", "type": res["identifier"][0]["type"],
        "system": f"{codes.BASE}/sid/mrn/clinic-{personas.clinic.pk}", "value": p.mrn}
    assert res["name"][0]["family"] == "Tremblay" and res["name"][0]["given"] == ["Hélène"]
    assert res["birthDate"] == p.date_of_birth.isoformat()
    assert {"system": "phone", "value": "(613) 555-0142", "use": "mobile"} in res["telecom"]
    assert res["communication"][0]["language"]["coding"][0]["code"] == "fr"
    assert res["managingOrganization"] == {"reference": f"Organization/{personas.clinic.pk}"}


def test_procedure_is_the_session_with_zones_depth_device_lot_people(personas, record):
    chart = record["chart"]
    res = fhir_client(personas.physician).get(f"/fhir/Procedure/{chart.pk}").json()
    assert res["status"] == "completed" and res["subject"]["reference"] == \
        f"Patient/{record['patient'].pk}"
    cheek, jaw = res["bodySite"]
    assert {"system": codes.SNOMED, "code": "60819002", "display": "Cheek structure"} in \
        cheek["coding"]
    assert cheek["coding"][0]["code"] == "cheek_left" and "left" in cheek["text"]
    assert [c["system"] for c in jaw["coding"]] == [codes.CS_ZONE]  # no SNOMED guess
    ext = {e["url"]: e for e in cheek["extension"]}
    assert ext[codes.EXT_DEPTH]["valueQuantity"] == {"value": 1.5, "unit": "mm",
                                                      "system": codes.UCUM, "code": "mm"}
    assert ext[codes.EXT_PASSES]["valueInteger"] == 3
    assert res["focalDevice"][0]["manipulated"] == {"reference": f"Device/{record['device'].pk}"}
    assert res["usedReference"][0]["identifier"] == {"system": codes.LOT_SYSTEM,
                                                     "value": "LOT-A1"}
    actors = {p["function"]["text"]: p["actor"]["reference"] for p in res["performer"]}
    assert actors == {"Practitioner": f"PractitionerRole/{personas.aesthetician.pk}",
                      "Supervising physician": f"PractitionerRole/{personas.physician.pk}"}
    assert res["complication"][0]["coding"][0]["code"] == "pain"
    assert res["basedOn"] == [{"reference": f"CarePlan/{record['plan'].pk}"}]


def test_device_location_document_and_adverse_event(personas, record):
    client = fhir_client(personas.physician)
    device = client.get(f"/fhir/Device/{record['device'].pk}").json()
    assert {"system": codes.LICENCE_SYSTEM["HC"], "value": "99501"} == {
        k: device["identifier"][1][k] for k in ("system", "value")}
    assert device["status"] == "active" and device["deviceName"][0]["name"] == "Pen A"
    rooms = entries(client.get("/fhir/Location", {"name": "Room"}).json())
    assert {r["id"].split("-")[0] for r in rooms} == {"room"}
    assert all(r["partOf"]["reference"].startswith("Location/site-") for r in rooms)
    docs = entries(client.get("/fhir/DocumentReference",
                              {"patient": record["patient"].pk}).json())
    urls = {d["id"]: d["content"][0]["attachment"]["url"] for d in docs}
    consent = record["patient"].consents.get(template__procedure="microneedling")
    assert urls[f"consent-{consent.pk}"] == f"http://testserver/consents/{consent.pk}/pdf/"
    assert urls[f"aftercare-{record['chart'].pk}"] == \
        f"http://testserver/charts/{record['chart'].pk}/aftercare.pdf"
    ae = entries(client.get("/fhir/AdverseEvent").json())[0]
    assert ae["suspectEntity"] == [{"instance": {"reference": f"Procedure/{record['chart'].pk}"}}]


def test_a_read_is_audited_and_a_page_is_one_insert(personas, record):
    client = fhir_client(personas.physician)
    before = AuditEvent.objects.count()
    client.get(f"/fhir/Patient/{record['patient'].pk}")
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.object_type, event.patient_id, event.data) == (
        "read", "patients.patient", record["patient"].pk, {"via": "fhir"})
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        bundle = client.get("/fhir/Patient", {"_count": 10}).json()
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "audit_auditevent"')]
    assert len(inserts) == 1
    assert AuditEvent.objects.count() == before + len(entries(bundle)) == before + 2
    audit = fhir_client(personas.physician).get("/fhir/AuditEvent",
                                                 {"patient": record["patient"].pk,
                                                  "_sort": "-_id", "_count": 1}).json()
    assert valid(entries(audit)[0])["action"] in {"R", "E"}


def test_capability_statement_lists_what_works(client):
    res = client.get("/fhir/metadata").json()
    valid(res)
    served = {r["type"]: r for r in res["rest"][0]["resource"]}
    assert set(served) == {*SPECS, "Group"}
    assert served["Procedure"]["searchInclude"] == ["Procedure:device", "Procedure:patient"]
    assert {"name", "birthdate", "identifier", "_id"} <= {
        p["name"] for p in served["Patient"]["searchParam"]}
    assert [o["name"] for o in served["Patient"]["operation"]] == ["everything", "export"]
