"""The audit log: every write and read of patient data, hash-chained and append-only."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from puncta.audit.models import AuditEvent
from puncta.audit.seal import seal_all
from puncta.audit.services import SYSTEM, record
from puncta.audit.verify import verify_chain
from puncta.patients.models import Patient

from .conftest import client_for

pytestmark = pytest.mark.django_db


def _events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("id"))


VALID = {
    "given_name": "Ana", "family_name": "Lopes", "date_of_birth": "1988-03-04",
    "sex_at_birth": "female", "preferred_language": "fr", "phone": "514 555 0101",
    "concerns": ["acne_scars"],
}


def test_create_writes_event_with_who_role_clinic_and_ip(personas):
    client = client_for(personas.nurse)
    response = client.post(reverse("web:patient_create"), VALID, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302
    patient = Patient.objects.get(family_name="Lopes")
    [event] = _events(action="create", patient_id=patient.pk)
    assert event.actor_id == personas.nurse.user_id
    assert event.role == "registered_nurse"
    assert event.clinic_id == personas.clinic.pk
    assert event.ip == "10.1.2.3"
    assert event.object_type == "patients.patient"


def test_page_view_and_listing_are_audited(personas, patient):
    client = client_for(personas.front_desk)
    client.get(reverse("web:patient_detail", args=[patient.pk]))
    assert len(_events(action="read", patient_id=patient.pk)) == 1
    client.get(reverse("web:patient_list"), {"q": "tremblay"})
    [listed] = _events(action="list", patient_id=patient.pk)
    assert listed.data == {"query": "tremblay"}


def test_update_is_audited_with_changed_fields(personas, patient):
    client = client_for(personas.physician)
    data = {**VALID, "given_name": "Hélène", "family_name": "Tremblay-Roy",
            "version": patient.version}
    assert client.post(reverse("web:patient_edit", args=[patient.pk]), data).status_code == 302
    [event] = _events(action="update", patient_id=patient.pk)
    assert "family_name" in event.data["changed"]


def test_if_audit_write_fails_the_action_fails(personas, monkeypatch):
    from puncta.audit import services

    def broken(*args, **kwargs):
        raise DatabaseError("audit store unavailable")

    client = client_for(personas.nurse)
    monkeypatch.setattr(services.AuditEvent.objects, "bulk_create", broken)
    client.raise_request_exception = False
    response = client.post(reverse("web:patient_create"), VALID)
    assert response.status_code == 500
    assert not Patient.objects.filter(family_name="Lopes").exists()


def test_chain_verifies_and_detects_tampering(personas, patient):
    client = client_for(personas.physician)
    for _ in range(3):
        client.get(reverse("web:patient_detail", args=[patient.pk]))
    report = verify_chain()
    assert report.ok and report.checked >= 3
    call_command("audit", "verify")

    target = _events(action="read")[1]
    _tamper(f"UPDATE audit_auditevent SET reason = 'nothing to see' WHERE id = {target.id}")
    report = verify_chain()
    assert not report.ok
    assert report.broken_at == target.id
    with pytest.raises(CommandError, match=f"event {target.id}"):
        call_command("audit", "verify")


def test_chain_detects_a_deleted_event(personas, patient):
    client = client_for(personas.physician)
    for _ in range(3):
        client.get(reverse("web:patient_detail", args=[patient.pk]))
    middle = _events(action="read")[1]
    _tamper(f"DELETE FROM audit_auditevent WHERE id = {middle.id}")
    report = verify_chain()
    assert not report.ok and report.broken_at > middle.id


def test_database_refuses_update_and_delete():
    event = record(SYSTEM, "create", object_type="test")
    for sql in (f"UPDATE audit_auditevent SET reason='x' WHERE id={event.id}",
                f"DELETE FROM audit_auditevent WHERE id={event.id}"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    with pytest.raises(ValueError):
        event.save()


def _tamper(sql: str) -> None:
    """Change a row behind the application's back, as an attacker with SQL access would,
    once the events are sealed (the writers' commits have sealed them by then)."""
    seal_all()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # A superuser can switch user triggers off for the session: that is the attack.
            cur.execute("SET session_replication_role = replica")
            cur.execute(sql)
            cur.execute("SET session_replication_role = DEFAULT")
        else:
            cur.execute("DROP TRIGGER audit_event_no_update")
            cur.execute("DROP TRIGGER audit_event_no_delete")
            cur.execute(sql)


def test_audit_log_page_filters_by_patient_and_user(personas, patient, other_patient):
    client_for(personas.front_desk).get(reverse("web:patient_detail", args=[patient.pk]))
    client = client_for(personas.clinic_admin)
    body = client.get(reverse("web:audit_log"), {"patient": patient.pk}).content.decode()
    assert personas.front_desk.user.username in body
    body = client.get(reverse("web:audit_log"), {"user": personas.physician.user_id}).content
    assert personas.front_desk.user.username.encode() not in body


def test_audit_log_page_is_for_physicians_and_admins_only(personas):
    assert client_for(personas.front_desk).get(reverse("web:audit_log")).status_code == 403
    assert client_for(personas.aesthetician).get(reverse("web:audit_log")).status_code == 403
    assert client_for(personas.physician).get(reverse("web:audit_log")).status_code == 200


def test_audit_log_page_shows_only_own_clinic(personas, patient):
    client_for(personas.front_desk).get(reverse("web:patient_detail", args=[patient.pk]))
    body = client_for(personas.other_clinic_user).get(reverse("web:audit_log")).content
    assert personas.front_desk.user.username.encode() not in body
