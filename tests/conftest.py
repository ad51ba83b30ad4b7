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
def _audit_delete_trigger_lifted_for_flush(request):
    """Transactional tests end with a flush (DELETE FROM on SQLite), which the audit
    table's append-only trigger rightly refuses: lift it for that flush only."""
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
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


@pytest.fixture(autouse=True)
def _english_between_tests():
    """A view that serves a patient in their language activates it for the thread: each
    test starts in English whatever the test before it served."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")
