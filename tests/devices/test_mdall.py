"""Reading MDALL JSON: kinds, unknown fields, missing fields, idempotent import."""

from __future__ import annotations

import pytest

from puncta.audit.models import AuditEvent
from puncta.audit.services import Actor
from puncta.devices.mdall import MdallFormatError, parse
from puncta.devices.models import RegistryCompany, RegistryDevice, RegistryLicence
from puncta.devices.services import registry_import

from .conftest import FIXTURES, fixture_files

pytestmark = pytest.mark.django_db


def test_kind_is_detected_from_fields_and_unknown_fields_are_ignored():
    kinds = {p.kind for p in fixture_files("licence.json", "device.json", "company.json")}
    assert kinds == {"licence", "device", "company"}
    # 'last_refresh_dt' and 'licence_type_desc' are in the file but not in the rows.
    row = parse((FIXTURES / "licence.json").read_text(), name="x").rows[0]
    assert "last_refresh_dt" not in row and row["original_licence_no"] == 99001


def test_missing_required_field_names_the_record():
    with pytest.raises(MdallFormatError, match=r"licence record 2 \(id 99102\) lacks "
                                               r"appl_risk_class"):
        parse((FIXTURES / "licence_missing_field.json").read_text(), name="bad.json")


@pytest.mark.parametrize("text, message", [
    ("{not json", "not JSON"),
    ('"a string"', "array of objects"),
    ('[{"foo": 1}]', "use --kind"),
    ('[{"original_licence_no": 1, "licence_status": "I", "appl_risk_class": 9, '
     '"licence_name": "X", "first_licence_status_dt": "2020-01-01"}]', "1 to 4"),
    ('[{"original_licence_no": 1, "licence_status": "I", "appl_risk_class": 2, '
     '"licence_name": "X", "first_licence_status_dt": "01/02/2020"}]', "YYYY-MM-DD"),
])
def test_bad_files_are_refused_clearly(text, message):
    with pytest.raises(MdallFormatError, match=message):
        parse(text, name="f.json")


def test_import_is_idempotent_and_reports_changes(registry):
    assert registry.counts["licence"] == {"new": 3, "changed": 0, "unchanged": 0}
    again = registry_import(actor=Actor(label="t"),
                            files=fixture_files("licence.json", "device.json", "company.json"))
    assert again.counts["licence"] == {"new": 0, "changed": 0, "unchanged": 3}
    assert again.counts["device"]["unchanged"] == 3
    changed = parse('[{"original_licence_no": 99001, "licence_status": "I", '
                    '"appl_risk_class": 2, "licence_name": "RENAMED", '
                    '"first_licence_status_dt": "2019-03-14", "end_date": "2024-01-01"}]',
                    name="c.json")
    report = registry_import(actor=Actor(label="t"), files=[changed])
    assert report.counts["licence"] == {"new": 0, "changed": 1, "unchanged": 0}
    assert RegistryLicence.objects.get(original_licence_no=99001).end_date.year == 2024
    assert AuditEvent.objects.filter(object_type="devices.registry").count() == 3


def test_import_of_several_files_is_all_or_nothing(db):
    from django.db import IntegrityError

    from puncta.devices.mdall import ParsedFile

    good = fixture_files("company.json")[0]
    broken = ParsedFile("b", "licence", [{"original_licence_no": 1, "appl_risk_class": None,
                                          "licence_name": "X"}])
    with pytest.raises(IntegrityError):
        registry_import(actor=Actor(label="t"), files=[good, broken])
    assert not RegistryCompany.objects.exists()
    assert not RegistryDevice.objects.exists()


def test_clinic_licences_follow_the_registry(pen):
    ended = parse('[{"original_licence_no": 99001, "licence_status": "I", '
                  '"appl_risk_class": 2, "licence_name": "DEMO MICRONEEDLING PEN SYSTEM", '
                  '"first_licence_status_dt": "2019-03-14", "end_date": "2025-05-31", '
                  '"company_id": 140001}]', name="c.json")
    report = registry_import(actor=Actor(label="t"), files=[ended])
    assert report.licences_updated == 1
    pen.licence.refresh_from_db()
    assert str(pen.licence.end_date) == "2025-05-31"
