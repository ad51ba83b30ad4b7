"""``puncta devices``: import, verify (exit codes), receive, draw and trace from the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from puncta.audit.models import AuditEvent
from puncta.devices.models import CartridgeLot, RegistryLicence

from ..factories import PatientFactory
from .conftest import FIXTURES

pytestmark = pytest.mark.django_db


def _files(*names):
    return [str(FIXTURES / n) for n in names]


def test_import_reports_counts_and_is_idempotent(capsys):
    call_command("devices", "import-mdall", *_files("licence.json", "device.json",
                                                     "company.json"))
    out = capsys.readouterr().out
    assert "licence: 3 new, 0 changed, 0 unchanged" in out
    call_command("devices", "import-mdall", *_files("licence.json"))
    assert "licence: 0 new, 0 changed, 3 unchanged" in capsys.readouterr().out


def test_bad_file_imports_nothing_and_names_the_record():
    with pytest.raises(CommandError, match=r"record 2 \(id 99102\).*nothing imported"):
        call_command("devices", "import-mdall",
                     *_files("company.json", "licence_missing_field.json"))
    assert not RegistryLicence.objects.exists()


def test_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("devices", "import-mdall", str(tmp_path / "nope.json"))


def test_kind_can_be_given(capsys, tmp_path):
    path = tmp_path / "odd.json"
    path.write_text('[{"company_id": 5, "company_name": "X", "extra": 1}]')
    call_command("devices", "import-mdall", "--kind", "company", str(path))
    assert "company: 1 new" in capsys.readouterr().out


def test_verify_found_and_not_found(registry, capsys):
    call_command("devices", "verify", "--licence", "0099 001", "--on", "2025-06-01")
    result = json.loads(capsys.readouterr().out)
    assert result["licence"] == "99001" and result["licensed_for_medical_microneedling"]
    with pytest.raises(CommandError) as exc:
        call_command("devices", "verify", "--licence", "424242")
    assert exc.value.returncode == 3
    assert json.loads(capsys.readouterr().out)["found"] is False


def test_receive_draw_and_trace(personas, pen, cartridge, capsys):
    clinic = str(personas.clinic.pk)
    call_command("devices", "receive-lot", "--clinic", clinic, "--product", str(cartridge.pk),
                 "--lot", "CLI-1", "--expiry", "2099-01-01", "--quantity", "2")
    lot = CartridgeLot.objects.get(lot_number="CLI-1")
    patient = PatientFactory(clinic=personas.clinic, given_name="Ana", family_name="Roy",
                             email="=cmd@example.org")
    call_command("devices", "draw", "--clinic", clinic, "--lot-id", str(lot.pk),
                 "--device", str(pen.pk), "--patient-mrn", patient.mrn,
                 "--reference", "chart:9")
    assert "1 left" in capsys.readouterr().out
    call_command("devices", "trace", "--lot", "CLI-1")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["patient_name"], r["reference"]) for r in rows] == [("Ana Roy", "chart:9")]
    assert rows[0]["patient_email"] == "'=cmd@example.org"  # no spreadsheet formula
    assert AuditEvent.objects.filter(action="export", patient_id=patient.pk).exists()


def test_draw_refusal_and_other_clinic_are_clear(personas, pen, lot):
    with pytest.raises(CommandError, match="no cartridge product"):
        call_command("devices", "receive-lot", "--clinic", str(personas.other_clinic.pk),
                     "--product", str(lot.product_id), "--lot", "X", "--expiry",
                     "2099-01-01", "--quantity", "1")
    with pytest.raises(CommandError, match=r"refused \(expired\)"):
        call_command("devices", "draw", "--clinic", str(personas.clinic.pk), "--lot-id",
                     str(lot.pk), "--device", str(pen.pk), "--on", "2099-01-01")


def test_trace_of_unknown_lot():
    with pytest.raises(CommandError, match="no lot"):
        call_command("devices", "trace", "--lot", "NOPE")
