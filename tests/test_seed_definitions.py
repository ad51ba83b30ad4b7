"""puncta seed writes what the domain would: each seeded document, hash, verdict and
message equals what the domain's own definition gives for the same row. A re-definition
inside ``puncta.synth`` that drifts from the app fails here."""

from __future__ import annotations

import datetime as dt
import pathlib
import re

import pytest
from django.utils import translation

from puncta import rules
from puncta.charting.checks import numbing_findings
from puncta.charting.models import Amendment, Chart
from puncta.charting.services import amendment_seal, checkin_text, document, seal
from puncta.consent.models import Consent
from puncta.consent.services import document_sha256, render_document
from puncta.patients.intake.answers import to_rules_patient
from puncta.patients.intake.services import decision_sha256, screening_verdict
from puncta.patients.models import Patient, PatientNameKey, Screening, name_keys, search_name_of
from puncta.scheduling import durations
from puncta.scheduling.models import Appointment, PatientMessage
from puncta.scheduling.reminders import message_text
from puncta.synth.base import SeedConfig
from puncta.synth.generator import generate

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)
SYNTH = pathlib.Path(__file__).resolve().parents[1] / "src" / "puncta" / "synth"


@pytest.fixture
def seeded() -> None:
    generate(SeedConfig(clinics=2, patients=80, years=2, seed=31, today=TODAY,
                        batch_size=16, progress=False))


def test_patients_have_the_name_keys_patient_save_would_give(seeded):
    keys: dict[int, set[tuple[int, str]]] = {}
    for pk, clinic, key in PatientNameKey.objects.values_list("patient_id", "clinic_id", "key"):
        keys.setdefault(pk, set()).add((clinic, key))
    patients = list(Patient.objects.all())
    assert len(patients) == 80 and len(keys) == 80
    for p in patients:
        assert p.search_name == search_name_of(p.given_name, p.family_name)
        assert keys[p.pk] == {(p.clinic_id, k) for k in name_keys(p.search_name)}


def test_consents_hash_as_the_consent_service(seeded):
    consents = list(Consent.objects.select_related("template", "patient__clinic"))
    assert consents
    for c in consents:
        assert c.rendered_text == render_document(c.template, c.patient)
        assert c.document_sha256 == document_sha256(c.rendered_text)


def test_screenings_are_the_rules_screening_of_the_intake(seeded):
    screenings = list(Screening.objects.select_related("intake", "patient__clinic"))
    assert screenings
    for s in screenings:
        p = s.patient
        subject, origin = to_rules_patient(birth_date=p.date_of_birth, phototype=p.phototype,
                                           answers=s.intake.answers, on=s.screened_on)
        assert (s.result, s.findings, s.rules_version) == screening_verdict(
            subject, origin, on=s.screened_on, clinic=p.clinic)
    decided = [s for s in screenings if s.decision]
    assert decided
    for s in decided:
        assert s.decision_sha256 == decision_sha256(s)


def test_charts_are_sealed_and_found_as_charting_does(seeded):
    charts = list(Chart.objects.select_related(
        "patient__clinic", "practitioner__user", "supervisor__user", "device", "lot__product",
        "signed_by", "appointment"))
    assert charts
    for chart in charts:
        signed = dict(chart.signed_content)
        doc = document(chart, signed["content"], chart.findings, chart.verdict,
                       chart.rules_version)
        if "amendment" in signed:
            continue
        assert seal(doc, by_id=chart.signed_by_id, by_name=str(chart.signed_by),
                    at=chart.signed_at) == chart.sha256
        assert doc == chart.signed_content
        # The appointment's length is scheduling's.
        a = chart.appointment
        plan = chart.plan
        assert (a.start, a.treat_start, a.end) == durations.intervals(
            a.start, numbing_min=plan.numbing_minutes, zone_count=len(chart.content["zones"]),
            severity=plan.severity)
    for am in Amendment.objects.select_related("chart__patient", "by"):
        chart = am.chart
        doc = document(chart, am.after, am.findings, am.verdict, am.rules_version)
        assert amendment_seal(doc, number=am.number, reason=am.reason, by_name=str(am.by),
                              previous_sha256=chart.sha256) == am.sha256


def test_chart_findings_come_from_the_charting_helpers():
    # The helpers charting.checks.evaluate uses; the seed calls them, restating nothing.
    source = (SYNTH / "care.py").read_text()
    assert "session_findings(" in source and "numbing_findings(" in source
    assert "ui_of(" not in source and 'f"numbing.' not in source
    d = rules.check_numbing("emla", 60.0, 600.0, False, adult=False, exclusions=())
    assert d.findings and all(f["field"].startswith("numbing.") for f in numbing_findings(d))


def test_messages_are_the_reminder_builders_text(seeded):
    msgs = list(PatientMessage.objects.select_related(
        "patient__clinic", "appointment__clinic", "appointment__location",
        "appointment__patient", "appointment__chart__patient__clinic"))
    kinds = {m.kind for m in msgs}
    assert {"reminder_48h", "reminder_24h", "checkin"} <= kinds
    for m in msgs:
        lang = m.patient.preferred_language
        a: Appointment = m.appointment
        chart = getattr(a, "chart", None)
        if m.kind == "checkin" and chart is not None and m.reason != (
                "replaced by the chart's check-in"):
            expected = checkin_text(chart, lang)
        else:
            with translation.override(lang):
                expected = message_text(m.kind, a)
        assert (m.subject, m.body) == expected, (m.kind, m.status)


def test_synth_has_no_hash_or_document_of_its_own():
    """Hashes and signed documents come from the domain: no hashlib, no canonical JSON and
    no gettext of its own in the generator."""
    for path in SYNTH.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*import hashlib|hashlib\.", text, re.M), path.name
        assert "json.dumps(" not in text or path.name == "fastdb.py", path.name
        assert not re.search(r"import .*gettext", text), path.name


def test_seed_without_the_synth_extra_says_how_to_install_it(monkeypatch, capsys):
    import importlib.util

    from django.core.management import call_command

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "faker" else real(name, *a))
    with pytest.raises(SystemExit) as exc:
        call_command("seed", "--patients", "1", "--no-progress")
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "pip install 'puncta[synth]'" in err and len(err.splitlines()) == 1


def test_seeded_audit_events_are_sealed_as_sealing_seals(seeded):
    from puncta.audit.models import AuditChainHead, AuditEvent
    from puncta.audit.verify import verify_chain

    assert not AuditEvent.objects.filter(hash__isnull=True).exists()
    for head in AuditChainHead.objects.all():
        seqs = list(AuditEvent.objects.filter(chain=head.chain).order_by("seq")
                    .values_list("seq", flat=True))
        assert seqs == list(range(1, head.count + 1)), head.chain
    assert verify_chain().ok


def test_supervised_charts_are_attested_and_the_compliance_checks_read_zero(seeded):
    """A seeded supervised session went through what charting asks before signing: the
    supervising physician's attestation (and its audit event). Without it the medical
    director's compliance page listed nearly every supervised chart of the demo network."""
    from puncta.audit.models import AuditEvent
    from puncta.clinics.models import Clinic
    from puncta.web.selectors import compliance_checks

    supervised = Chart.objects.filter(supervisor__isnull=False)
    assert supervised.exists()
    for chart in supervised:
        assert chart.supervision_attested_by_id == chart.supervisor_id
        assert chart.supervision_attested_at <= chart.signed_at
        assert AuditEvent.objects.filter(
            object_type="charting.chart", object_id=str(chart.pk),
            data__supervision_attested=True).count() == 1
    for clinic in Clinic.objects.all():
        checks = {c.key: c for c in compliance_checks(
            clinic, now=dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC))}
        assert checks["supervision"].count == 0 and checks["device"].count == 0
