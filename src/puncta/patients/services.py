"""Writes to patient records: one transaction each, with the audit event inside it."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.clinics.errors import DomainError
from puncta.clinics.models import Clinic

from .intake.services import screening_rerun_if_screened
from .models import Patient

# Record fields the rules screen on (the rest of the screened facts are intake answers,
# whose correction re-screens in ``intake_save``).
SCREENED_FIELDS = frozenset({"date_of_birth", "phototype"})

EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "sex_at_birth",
    "email",
    "phone",
    "preferred_language",
    "phototype",
    "skin_thin",
    "skin_sensitive",
    "skin_notes",
    "concerns",
    "contact_opt_out",
)


class StaleEdit(DomainError):
    """Someone else saved the record since this edit started."""

    status = 409
    default_code = "stale"

    def __init__(self) -> None:
        super().__init__(_("The patient changed since you read it; read it again."),
                         field="version")


def _next_mrn(clinic_id: int) -> str:
    # One statement: the clinic's row stays locked until the creating transaction commits
    # (numbers have no gaps), so take it with as little work around it as possible.
    table = Clinic._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET next_mrn = next_mrn + 1 WHERE id = %s "  # noqa: S608
                    "RETURNING next_mrn", [clinic_id])
        row = cur.fetchone()
    if row is None:
        raise Clinic.DoesNotExist(f"clinic {clinic_id}")
    return f"P{row[0] - 1:06d}"


def patient_create(*, actor: Actor, clinic_id: int, **fields: Any) -> Patient:
    with transaction.atomic():
        mrn = fields.pop("mrn", "") or _next_mrn(clinic_id)
        patient = Patient(clinic_id=clinic_id, mrn=mrn, **fields)
        patient.full_clean()
        patient.save()
        record(
            actor, Action.CREATE, patient, patient_id=patient.pk,
            data={"fields": sorted(fields)},
        )
    return patient


def patient_update(
    *, actor: Actor, patient: Patient, expected_version: int | None = None, **fields: Any
) -> Patient:
    """Update the given fields; with ``expected_version`` refuse a lost update."""
    with transaction.atomic():
        current = Patient.objects.select_for_update().get(pk=patient.pk)
        if expected_version is not None and current.version != expected_version:
            raise StaleEdit
        changed = []
        for name, value in fields.items():
            if name not in EDITABLE_FIELDS:
                raise ValueError(f"{name} is not editable")
            if getattr(current, name) != value:
                setattr(current, name, value)
                changed.append(name)
        if changed:
            current.version += 1
            current.full_clean()
            current.save()
            record(
                actor, Action.UPDATE, current, patient_id=current.pk,
                data={"changed": sorted(changed)},
            )
            if SCREENED_FIELDS.intersection(changed):
                # A corrected screened fact (age, phototype) re-runs screening in the same
                # transaction, so the treatment gate follows the record at once.
                screening_rerun_if_screened(actor=actor, patient=current)
    return current
