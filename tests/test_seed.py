"""puncta seed: a tiny synthetic network, its counts, determinism and the audit chain."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from puncta.accounts.models import Membership, User
from puncta.accounts.roles import Role
from puncta.audit.models import AuditChainHead, AuditEvent
from puncta.audit.services import SYSTEM, record
from puncta.audit.verify import verify_chain
from puncta.clinics.models import Clinic, Location, Room
from puncta.consent.models import Consent, ConsentTemplate
from puncta.devices.models import CartridgeLot, Device
from puncta.patients.intake.answers import parse
from puncta.patients.intake.services import _as_form
from puncta.patients.models import IntakeResponse, IntakeStatus, Patient, Screening, fold
from puncta.synth.base import BENCH_PASSWORD, SeedConfig, SeedError
from puncta.synth.generator import generate

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)


def tiny(seed: int = 7, **kw: object) -> SeedConfig:
    options = {"clinics": 1, "patients": 20, "years": 2, "seed": seed, "today": TODAY,
               "batch_size": 8, "progress": False, **kw}
    return SeedConfig(**options)  # type: ignore[arg-type]


class _Rollback(Exception):
    pass


def fingerprint() -> dict[str, object]:
    """The generated content by natural keys (database ids differ between runs)."""
    return {
        "clinics": sorted(Clinic.objects.values_list("name", "jurisdiction", "time_zone")),
        "users": sorted(User.objects.values_list("username", "first_name", "last_name")),
        "patients": sorted(Patient.objects.values_list(
            "clinic__name", "mrn", "given_name", "family_name", "date_of_birth", "email",
            "phone", "preferred_language", "phototype", "sex_at_birth", "created_at")),
        "intakes": sorted((i.patient.mrn, i.status, i.version, str(sorted(i.answers.items())))
                          for i in IntakeResponse.objects.select_related("patient")),
        "screenings": sorted(Screening.objects.values_list(
            "patient__mrn", "result", "screened_on", "decision", "decided_by__username",
            "superseded_at")),  # decision_sha256 covers database ids: not compared
        "consents": sorted(Consent.objects.values_list(
            "patient__mrn", "template__procedure", "document_sha256", "signed_at")),
        "audit": sorted(Counter(AuditEvent.objects.values_list("object_type", "action")
                                ).items()),
    }


def generate_and_forget(cfg: SeedConfig) -> dict[str, object]:
    """Generate, take the fingerprint, roll everything back."""
    result: dict[str, object] = {}
    try:
        with transaction.atomic():
            generate(cfg)
            result = fingerprint()
            raise _Rollback
    except _Rollback:
        pass
    return result


def test_tiny_seed_creates_a_realistic_network():
    summary = generate(tiny())
    assert Clinic.objects.count() == 1 and Patient.objects.count() == 20
    clinic = Clinic.objects.get()
    assert clinic.next_mrn == 21
    assert Location.objects.filter(clinic=clinic).exists()
    assert Room.objects.filter(location__clinic=clinic).count() >= 2
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    assert Membership.objects.filter(is_medical_director=True).count() == 1
    assert Device.objects.filter(clinic=clinic, licence__isnull=False).count() >= 2
    assert CartridgeLot.objects.filter(clinic=clinic).exists()
    assert ConsentTemplate.objects.filter(clinic=clinic).count() == 6
    # Search keys are maintained as Patient.save() would.
    for p in Patient.objects.all():
        assert p.search_name == fold(f"{p.given_name} {p.family_name}")
        assert p.mrn.startswith("P")
    # Every submitted intake passes the questionnaire's own validation.
    for intake in IntakeResponse.objects.filter(status=IntakeStatus.SUBMITTED):
        _, errors = parse(_as_form(intake.answers), born=intake.patient.date_of_birth,
                          today=TODAY)
        assert errors == {}
    # At most one current screening per patient; each points at its intake.
    current = Counter(Screening.objects.filter(superseded_at__isnull=True)
                      .values_list("patient_id", flat=True))
    assert current and max(current.values()) == 1
    assert Screening.objects.count() >= 15
    assert Consent.objects.exists()
    # Counts in the summary match the database.
    assert summary.counts["patients.Patient"] == 20
    assert summary.counts["consent.Consent"] == Consent.objects.count()
    assert summary.audit_events == AuditEvent.objects.count()
    assert summary.patients_per_second > 0
    # The staff can sign in with the printed bench password.
    user = User.objects.filter(username__startswith="s7.").first()
    assert check_password(BENCH_PASSWORD, user.password)


def test_audit_chain_verifies_and_continues_an_existing_chain():
    record(SYSTEM, "create", object_type="before.seed")
    generate(tiny())
    report = verify_chain()
    assert report.ok, report
    assert report.checked == AuditEvent.objects.count()
    assert AuditChainHead.objects.get(pk=1).count == AuditEvent.objects.count()
    # Events written by the app after the seed still chain on.
    record(SYSTEM, "create", object_type="after.seed")
    assert verify_chain().ok


def test_same_seed_same_data_other_seed_other_data():
    first = generate_and_forget(tiny(seed=11))
    second = generate_and_forget(tiny(seed=11, batch_size=5))
    other = generate_and_forget(tiny(seed=12))
    assert first and first == second
    assert other["patients"] != first["patients"]


def test_seeding_the_same_seed_twice_is_refused():
    generate(tiny())
    with pytest.raises(SeedError):
        generate(tiny())


def test_command_prints_summary_rate_and_password():
    out = io.StringIO()
    call_command("seed", "--clinics", "2", "--patients", "30", "--seed", "5",
                 "--today", "2026-11-25", "--no-progress", stdout=out)
    text = out.getvalue()
    assert "patients/s" in text and BENCH_PASSWORD in text
    assert Patient.objects.count() == 30 and Clinic.objects.count() == 2
    assert verify_chain().ok
    with pytest.raises(CommandError):
        call_command("seed", "--patients", "3", "--seed", "5", "--no-progress",
                     stdout=io.StringIO())
