"""puncta seed: a tiny synthetic network, its counts, determinism and the audit chain."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections import Counter

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from puncta import rules
from puncta.accounts.models import Membership, User
from puncta.accounts.roles import Role
from puncta.audit.models import AuditChainHead, AuditEvent
from puncta.audit.services import SYSTEM, record
from puncta.audit.verify import verify_chain
from puncta.charting.models import Amendment, Chart, ChartStatus
from puncta.charting.services import document, sha256_of
from puncta.clinics.models import Clinic, Location, Room
from puncta.consent.models import Consent, ConsentTemplate
from puncta.devices.models import CartridgeLot, Device, LotDraw
from puncta.patients.intake.answers import parse
from puncta.patients.intake.services import _as_form
from puncta.patients.models import IntakeResponse, IntakeStatus, Patient, Screening, fold
from puncta.plans.models import TreatmentPlan
from puncta.scheduling.models import LIVE, Appointment, PatientMessage, WorkingHours
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
        "plans": sorted(TreatmentPlan.objects.values_list(
            "patient__mrn", "indication", "severity", "start", "verdict", "status")),
        "appointments": sorted(Appointment.objects.values_list(
            "patient__mrn", "session_number", "status", "start", "end", "room__name",
            "practitioner__user__username", "supervisor__user__username",
            "device__serial_number")),
        "charts": sorted((c.patient.mrn, c.on, c.status, c.verdict, str(c.content))
                         for c in Chart.objects.select_related("patient")),
        "messages": sorted(Counter(PatientMessage.objects.values_list("kind", "status")
                                   ).items()),
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
    assert sum(AuditChainHead.objects.values_list("count", flat=True)) == (
        AuditEvent.objects.count())
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


CARE_SEED = {"patients": 60, "years": 2}


def _local_day(a: Appointment) -> dt.date:
    import zoneinfo

    return a.start.astimezone(zoneinfo.ZoneInfo(a.location.time_zone)).date()


def test_care_history_plans_series_charts():
    generate(tiny(**CARE_SEED))
    assert TreatmentPlan.objects.exists() and Appointment.objects.exists()
    assert Chart.objects.exists() and WorkingHours.objects.exists()
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {"completed", "booked"} <= statuses
    # No two live appointments overlap on a room, practitioner or device.
    live = list(Appointment.objects.filter(status__in=LIVE))
    for resource, lo in (("room_id", "start"), ("practitioner_id", "treat_start"),
                         ("device_id", "treat_start")):
        by: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
        for a in live:
            by.setdefault(getattr(a, resource), []).append((getattr(a, lo), a.end))
        for intervals in by.values():
            intervals.sort()
            for (_, end), (start, _) in itertools.pairwise(intervals):
                assert start >= end, resource
    # Every completed appointment has a signed chart with the rules' answer and its hash.
    for a in Appointment.objects.filter(status="completed").select_related("chart"):
        chart = a.chart
        assert chart.status in (ChartStatus.FINAL, ChartStatus.PENDING_COSIGN)
        assert chart.verdict in ("allow", "review") and chart.rules_version
        assert chart.sha256 == sha256_of(chart.signed_content)
        if not chart.amendments.exists():
            # the seeded document is exactly what charting signs for the same chart
            signed = dict(chart.signed_content)
            assert set(signed.pop("signed_by")) == {"id", "name"} and signed.pop("signed_at")
            assert signed == document(chart, signed["content"], chart.findings,
                                      chart.verdict, chart.rules_version)
        assert chart.lot_draw.reference == f"chart:{chart.pk}"
        if chart.cosign_required and chart.status == ChartStatus.FINAL:
            assert chart.cosigned_by_id is not None
        assert chart.practitioner_id == a.practitioner_id
    assert Appointment.objects.filter(status="booked").exclude(chart=None).count() == 0
    # Sessions sit inside their windows, counted from the previous session's actual date.
    for plan in TreatmentPlan.objects.all():
        appts = list(Appointment.objects.filter(series_id=plan.pk, status__in=LIVE)
                     .select_related("location").order_by("session_number"))
        days = [_local_day(a) for a in appts]
        assert [a.session_number for a in appts] == list(range(1, len(appts) + 1))
        for i, day in enumerate(days):
            w = rules.plan_course(plan.indication, plan.severity, start=plan.start,
                                  done=days[:i]).sessions[i]
            assert w.earliest <= day <= w.latest
        if plan.verdict == "review" and appts:
            assert plan.approved_at is not None
    # Supervision: where the rules asked for it, a physician is on the appointment.
    for a in Appointment.objects.exclude(supervisor=None).select_related("supervisor"):
        assert a.supervisor.role == "physician"
        assert a.supervisor_id != a.practitioner_id
    # Lot counts add up; draws come from lots received before and unexpired at use.
    for lot in CartridgeLot.objects.all():
        draws = LotDraw.objects.filter(lot=lot)
        assert lot.quantity_left == lot.quantity_received - draws.count()
        assert not draws.filter(on__lt=lot.received_on).exists()
        assert not draws.filter(on__gt=lot.expiry).exists()
    # Reminders: sent (or skipped) in the past, queued for the future.
    assert PatientMessage.objects.filter(status__in=["sent", "skipped"],
                                         send_after__date__gte=TODAY).count() == 0
    assert PatientMessage.objects.filter(status="queued").exists()
    assert verify_chain().ok
    assert AuditEvent.objects.filter(object_type="charting.chart").exists()


def test_care_history_is_deterministic():
    first = generate_and_forget(tiny(seed=21, **CARE_SEED))
    second = generate_and_forget(tiny(seed=21, batch_size=13, **CARE_SEED))
    assert first["charts"] and first == second
    assert Amendment.objects.count() == 0  # rolled back
