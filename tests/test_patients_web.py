"""Patient list, search, create and edit in the web UI."""

from __future__ import annotations

import pytest
from django.urls import reverse

from puncta.patients.models import Patient

from .conftest import client_for
from .factories import PatientFactory

pytestmark = pytest.mark.django_db

VALID = {
    "given_name": "Ana", "family_name": "Lopes", "date_of_birth": "1988-03-04",
    "sex_at_birth": "female", "preferred_language": "fr", "phone": "514 555 0101",
    "email": "ana@example.com", "phototype": "4", "concerns": ["acne_scars", "texture"],
}


def test_create_patient_assigns_mrn_and_stores_fields(personas):
    response = client_for(personas.nurse).post(reverse("web:patient_create"), VALID)
    assert response.status_code == 302
    p = Patient.objects.get(family_name="Lopes")
    assert p.clinic == personas.clinic
    assert p.mrn.startswith("P") and p.phototype == 4
    assert p.concerns == ["acne_scars", "texture"]
    assert p.phone_digits == "5145550101"


def test_invalid_fields_show_errors_next_to_field_and_save_nothing(personas):
    bad = {**VALID, "date_of_birth": "2999-01-01", "email": "not-an-email", "phone": "12"}
    response = client_for(personas.nurse).post(reverse("web:patient_create"), bad)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The date of birth cannot be in the future." in html
    assert "Enter an email address like name@example.com." in html
    assert "Enter a phone number of 7 to 15 digits" in html
    assert 'id="id_date_of_birth-error"' in html
    assert not Patient.objects.filter(family_name="Lopes").exists()
    # what was typed is kept
    assert 'value="Lopes"' in html


def test_garbage_date_gives_plain_error(personas):
    response = client_for(personas.nurse).post(
        reverse("web:patient_create"), {**VALID, "date_of_birth": "31/31/31"})
    assert "Enter the date of birth as year-month-day" in response.content.decode()


def test_mrn_unique_per_clinic(personas):
    PatientFactory(clinic=personas.clinic, mrn="X1")
    PatientFactory(clinic=personas.other_clinic, mrn="X1")  # another clinic may reuse it
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError differs by backend
        from django.db import transaction

        with transaction.atomic():
            PatientFactory(clinic=personas.clinic, mrn="X1")


@pytest.mark.parametrize(
    "query", ["helene", "HÉLÈNE tremb", "1985-06-15", "613-555-0142", "6135550142"]
)
def test_search_by_name_dob_phone(personas, query):
    import datetime as dt

    PatientFactory(clinic=personas.clinic, given_name="Hélène", family_name="Tremblay",
                   date_of_birth=dt.date(1985, 6, 15), phone="(613) 555-0142")
    PatientFactory(clinic=personas.clinic, given_name="Marc", family_name="Gagnon",
                   date_of_birth=dt.date(1970, 1, 1), phone="416 555 9999")
    html = client_for(personas.front_desk).get(
        reverse("web:patient_list"), {"q": query}).content.decode()
    assert "Tremblay" in html and "Gagnon" not in html


def test_htmx_search_returns_rows_only(personas, patient):
    response = client_for(personas.front_desk).get(
        reverse("web:patient_list"), {"q": "trem"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<table" in html and "<html" not in html and "Tremblay" in html


def test_front_desk_does_not_edit_skin_assessment(personas, patient):
    client = client_for(personas.front_desk)
    html = client.get(reverse("web:patient_edit", args=[patient.pk])).content.decode()
    assert 'name="phototype"' not in html
    data = {**VALID, "phototype": "6", "skin_notes": "x", "version": patient.version}
    client.post(reverse("web:patient_edit", args=[patient.pk]), data)
    patient.refresh_from_db()
    assert patient.family_name == "Lopes" and patient.phototype != 6 and patient.skin_notes == ""


def test_stale_edit_is_refused_and_keeps_input(personas, patient):
    client = client_for(personas.nurse)
    stale = {**VALID, "version": patient.version, "family_name": "Mine"}
    Patient.objects.filter(pk=patient.pk).update(version=patient.version + 1)
    response = client.post(reverse("web:patient_edit", args=[patient.pk]), stale)
    assert response.status_code == 200
    assert "Someone else saved this patient" in response.content.decode()
    patient.refresh_from_db()
    assert patient.family_name == "Tremblay"


def test_script_like_text_is_escaped(personas):
    client = client_for(personas.nurse)
    client.post(reverse("web:patient_create"),
                {**VALID, "skin_notes": "<script>alert(1)</script>"})
    p = Patient.objects.get(family_name="Lopes")
    html = client.get(reverse("web:patient_detail", args=[p.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("params", [{"page": "abc"}, {"page": "-5"}, {"q": "x" * 5000}])
def test_bad_query_params_never_500(personas, params):
    assert client_for(personas.nurse).get(reverse("web:patient_list"), params).status_code == 200


def test_dashboard_for_every_role(personas):
    for m in (personas.physician, personas.nurse, personas.aesthetician, personas.front_desk,
              personas.clinic_admin):
        response = client_for(m).get(reverse("web:dashboard"))
        assert response.status_code == 200
        assert personas.clinic.name in response.content.decode()


def test_same_name_and_birth_date_is_not_created_silently(personas):
    """Defect: the same name and birth date created a second patient silently."""
    client = client_for(personas.front_desk)
    assert client.post(reverse("web:patient_create"), VALID).status_code == 302
    first = Patient.objects.get(family_name="Lopes")
    again = client.post(reverse("web:patient_create"), {
        **VALID, "given_name": "ANA", "family_name": "Lopès", "phone": "", "email": ""})
    html = again.content.decode()
    assert again.status_code == 409 and 'id="duplicates"' in html and 'role="alert"' in html
    assert reverse("web:patient_detail", args=[first.pk]) in html
    assert Patient.objects.filter(date_of_birth="1988-03-04").count() == 1
    # another name but the same phone and birth date is flagged too
    twin = client.post(reverse("web:patient_create"), {**VALID, "given_name": "Bea",
                                                        "email": ""})
    assert twin.status_code == 409
    # the desk says it is someone else: created, and the check is on record
    made = client.post(reverse("web:patient_create"), {**VALID, "given_name": "Bea",
                                                       "email": "", "not_a_duplicate": "1"})
    assert made.status_code == 302
    assert Patient.objects.filter(date_of_birth="1988-03-04").count() == 2
    # different birth date: no warning
    other = client.post(reverse("web:patient_create"), {**VALID, "date_of_birth": "1990-01-01",
                                                        "phone": "", "email": ""})
    assert other.status_code == 302


def test_merge_a_duplicate_keeps_the_audit_trail(personas):
    from puncta.audit.models import AuditEvent

    from .scheduling.conftest import ready_patient

    keep = PatientFactory(clinic=personas.clinic, given_name="Ana", family_name="Lopes")
    dup = ready_patient(personas, given_name="Ana", family_name="Lopès")
    client_for(personas.nurse).get(reverse("web:patient_detail", args=[dup.pk]))
    assert dup.consents.exists() and dup.intakes.exists()
    admin = client_for(personas.clinic_admin)
    url = reverse("web:patient_merge", args=[keep.pk])
    admin.post(url, {"mrn": dup.mrn, "reason": "", "confirm": "1"})
    assert Patient.objects.get(pk=dup.pk).merged_into is None  # a reason is required
    assert client_for(personas.nurse).post(
        url, {"mrn": dup.mrn, "reason": "x", "confirm": "1"}).status_code == 403
    done = admin.post(url, {"mrn": dup.mrn, "reason": "Same person, created twice",
                            "confirm": "1"}, follow=True).content.decode()
    assert "merged into" in done
    dup.refresh_from_db()
    assert dup.merged_into_id == keep.pk
    assert keep.consents.exists() and keep.intakes.exists() and not dup.consents.exists()
    # the duplicate no longer lists, its page leads to the record kept
    assert dup.mrn not in admin.get(reverse("web:patient_list")).content.decode()
    response = admin.get(reverse("web:patient_detail", args=[dup.pk]))
    assert response.status_code == 302 and response["Location"].endswith(f"/{keep.pk}/")
    # the trail: the read of the duplicate is still there, found from the record kept
    assert AuditEvent.objects.filter(patient_id=dup.pk, action="read").exists()
    log = admin.get(reverse("web:audit_log"), {"patient": keep.pk}).content.decode()
    assert f"?patient={dup.pk}" in log and "Same person, created twice" in log
