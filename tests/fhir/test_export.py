"""Bulk export: kick-off, polling, manifest, NDJSON files with the same permissions,
cancel; and the same export from the command line."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from puncta.audit.models import AuditEvent
from puncta.fhir.export import run_export
from puncta.fhir.models import ExportJob

from .conftest import fhir_client, valid

pytestmark = pytest.mark.django_db
ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def kick_off(client, url, django_capture_on_commit_callbacks, **params):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url, params, **ASYNC)
    assert response.status_code == 202, response.content
    status_url = response["Content-Location"]
    job = ExportJob.objects.get(pk=status_url.rstrip("/").rsplit("/", 1)[1])
    return status_url, job


def lines(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    return [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]


def test_system_export_round_trip(personas, record, django_capture_on_commit_callbacks):
    c = fhir_client(personas.physician)
    status_url, job = kick_off(c, "/fhir/$export", django_capture_on_commit_callbacks)
    assert DBTaskResult.objects.filter(status="READY").exists()  # queued for the worker
    polling = c.get(status_url)
    assert polling.status_code == 202 and polling["X-Progress"] == "queued"
    assert run_export.call(str(job.pk), "http://testserver") == "done"
    manifest = c.get(status_url)
    assert manifest.status_code == 200
    body = manifest.json()
    assert body["requiresAccessToken"] is True and body["error"] == []
    by_type = {o["type"]: o for o in body["output"]}
    assert "AuditEvent" not in by_type  # only when asked for by name
    for rtype, item in by_type.items():
        resources = lines(c, item["url"])
        assert len(resources) == item["count"]
        for resource in resources:
            assert resource["resourceType"] == rtype
            valid(resource)
    patients = {r["id"] for r in lines(c, by_type["Patient"]["url"])}
    assert patients == {str(record["patient"].pk), str(record["second"].pk)}
    assert AuditEvent.objects.filter(action="export", data__via="fhir-export").exists()


def test_files_keep_the_permissions(personas, record, django_capture_on_commit_callbacks):
    c = fhir_client(personas.physician)
    status_url, job = kick_off(c, "/fhir/$export", django_capture_on_commit_callbacks,
                               _type="Patient,Procedure")
    run_export.call(str(job.pk), "http://testserver")
    urls = {o["type"]: o["url"] for o in c.get(status_url).json()["output"]}
    other = fhir_client(personas.other_clinic_user)
    assert other.get(status_url).status_code == 404
    assert other.get(urls["Patient"]).status_code == 404
    desk = fhir_client(personas.front_desk)
    assert desk.get(urls["Procedure"]).status_code == 403
    assert desk.get(urls["Patient"]).status_code == 200
    assert fhir_client(personas.front_desk).get(
        "/fhir/$export", {"_type": "Procedure"}, **ASYNC).status_code == 403


def test_group_and_patient_level_type_and_since(personas, record,
                                                django_capture_on_commit_callbacks):
    c = fhir_client(personas.physician)
    assert c.get(f"/fhir/Group/{personas.other_clinic.pk}/$export", **ASYNC).status_code == 404
    _, job = kick_off(c, f"/fhir/Group/{personas.clinic.pk}/$export",
                      django_capture_on_commit_callbacks)
    assert "Device" not in job.types and "Patient" in job.types and "Procedure" in job.types
    _, job = kick_off(c, "/fhir/Patient/$export", django_capture_on_commit_callbacks,
                      _type="Patient", _since="2999-01-01T00:00:00Z")
    run_export.call(str(job.pk), "http://testserver")
    job.refresh_from_db()
    assert job.output[0]["count"] == 0
    bad = c.get("/fhir/Patient/$export", {"_type": "Device"}, **ASYNC)
    assert bad.status_code == 400 and bad.json()["resourceType"] == "OperationOutcome"
    assert c.get("/fhir/$export").status_code == 400  # no Prefer: respond-async
    assert c.get("/fhir/$export", {"_outputFormat": "text/csv"}, **ASYNC).status_code == 400


def test_delete_cancels_and_removes_files(personas, record,
                                          django_capture_on_commit_callbacks):
    c = fhir_client(personas.physician)
    status_url, job = kick_off(c, "/fhir/$export", django_capture_on_commit_callbacks,
                               _type="Patient")
    assert c.delete(status_url).status_code == 202
    assert run_export.call(str(job.pk), "http://testserver") == "gone"
    assert c.get(status_url).status_code == 404
    status_url, job = kick_off(c, "/fhir/$export", django_capture_on_commit_callbacks,
                               _type="Patient")
    run_export.call(str(job.pk), "http://testserver")
    url = c.get(status_url).json()["output"][0]["url"]
    assert c.delete(status_url).status_code == 202
    assert c.get(url).status_code == 404
    from django.core.files.storage import default_storage
    assert not default_storage.exists(job.output[0]["path"] if job.output else
                                      f"{job.folder}/Patient.ndjson")


def test_cli_export(personas, record, tmp_path, capsys):
    call_command("export", str(tmp_path), "--format", "ndjson", "--clinic",
                 str(personas.clinic.pk), "--type", "Patient,Procedure", "--type", "Device")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "Device.ndjson", "Patient.ndjson", "Procedure.ndjson"]
    patients = [json.loads(x) for x in (tmp_path / "Patient.ndjson").read_text().splitlines()]
    assert {p["id"] for p in patients} == {str(record["patient"].pk), str(record["second"].pk)}
    procedure = json.loads((tmp_path / "Procedure.ndjson").read_text())
    valid(procedure)
    assert "resources in" in capsys.readouterr().out
    call_command("export", str(tmp_path / "all"), "--type", "Patient")
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        f"clinic-{personas.clinic.pk}", f"clinic-{personas.other_clinic.pk}"]


def test_cli_export_errors_are_one_line(personas, tmp_path, capsys):
    from puncta.cli import main

    assert main(["export", str(tmp_path), "--type", "Nope"]) == 1
    err = capsys.readouterr().err
    assert "Nope" in err and "Traceback" not in err
    assert main(["export", str(tmp_path), "--clinic", "999"]) == 1


def test_cancel_while_running_stops_at_the_next_chunk(personas, record, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    from puncta.fhir import export

    c = fhir_client(personas.physician)
    status_url, job = kick_off(c, "/fhir/$export", django_capture_on_commit_callbacks,
                               _type="Patient")
    real_rows = export.rows

    def rows(spec, clinic_id, since):
        for i, item in enumerate(real_rows(spec, clinic_id, since)):
            if i == 1:  # the client cancels while the worker is writing
                assert c.delete(status_url).status_code == 202
            yield item

    monkeypatch.setattr(export, "rows", rows)
    monkeypatch.setattr(export, "CHUNK", 1)
    assert run_export.call(str(job.pk), "http://testserver") == "cancelled"
    assert not default_storage.exists(f"{job.folder}/Patient.ndjson")
    assert c.get(status_url).status_code == 404
