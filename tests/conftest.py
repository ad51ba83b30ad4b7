"""Shared fixtures: two clinics and the personas of DESIGN.md.

Clinic A holds every persona; clinic B has one user who must see nothing of clinic A.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest
from django.test import Client

from puncta.accounts.models import Membership
from puncta.clinics.models import Clinic

from .factories import (
    ClinicFactory,
    LocationFactory,
    MembershipFactory,
    PatientFactory,
    RoomFactory,
)


@dataclass
class Personas:
    clinic: Clinic
    other_clinic: Clinic
    physician: Membership
    nurse: Membership
    nurse_practitioner: Membership
    aesthetician: Membership
    front_desk: Membership
    clinic_admin: Membership
    other_clinic_user: Membership


@pytest.fixture
def personas(db) -> Personas:
    clinic = ClinicFactory(name="Lumière Test Clinic", jurisdiction="CA-ON")
    other = ClinicFactory(name="Other Clinic", jurisdiction="CA-BC", time_zone="America/Vancouver")
    loc = LocationFactory(clinic=clinic, name="Main")
    RoomFactory(location=loc, name="Room 1")
    return Personas(
        clinic=clinic,
        other_clinic=other,
        physician=MembershipFactory(clinic=clinic, role="physician", is_medical_director=True,
                                    user__username="physician"),
        nurse=MembershipFactory(clinic=clinic, role="registered_nurse", user__username="nurse"),
        nurse_practitioner=MembershipFactory(clinic=clinic, role="nurse_practitioner",
                                             user__username="np"),
        aesthetician=MembershipFactory(clinic=clinic, role="medical_aesthetician",
                                       user__username="aesthetician"),
        front_desk=MembershipFactory(clinic=clinic, role="front_desk", user__username="desk"),
        clinic_admin=MembershipFactory(clinic=clinic, role="clinic_admin",
                                       user__username="admin"),
        other_clinic_user=MembershipFactory(clinic=other, role="physician",
                                            user__username="other"),
    )


def client_for(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def patient(personas):
    return PatientFactory(clinic=personas.clinic, given_name="Hélène", family_name="Tremblay",
                          phone="(613) 555-0142")


@pytest.fixture
def other_patient(personas):
    return PatientFactory(clinic=personas.other_clinic, given_name="Oscar", family_name="Bay")


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(tmp_path, settings):
    """Each test gets its own (empty) audit key and checkpoint locations, so a checkpoint
    one test writes never anchors another test's database."""
    settings.AUDIT_KEY = ""
    settings.AUDIT_KEY_FILE = tmp_path / "audit.key"
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"


@pytest.fixture(autouse=True)
def _audit_delete_trigger_lifted_for_flush(request):
    """Transactional tests end with a flush (DELETE FROM on SQLite, TRUNCATE on
    PostgreSQL), which the audit table's append-only triggers rightly refuse: lift them
    for that flush only (the flush's post_migrate puts them back: puncta.audit.guards)."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    triggers = importlib.import_module("puncta.audit.migrations.0002_append_only_triggers")
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:  # restore what the previous test's flush lifted
            restore = triggers.SQLITE[1].replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS")
            cur.execute(restore)
    yield
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        elif connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_truncate")


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A request in French (a French user, the patient's intake page) leaves French active
    in the thread; tests that call code directly expect the default language."""
    yield
    from django.utils import translation

    translation.activate("en")
