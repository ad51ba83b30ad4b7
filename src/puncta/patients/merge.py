"""Merging a duplicate patient record into the record kept: the history (intakes,
screenings, consents, plans, appointments, charts, messages, cartridge draws, adverse
events) moves to the kept record; the duplicate stays, marked merged, so every audit event
that names it still resolves; the merge itself is audited on both records."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from puncta.audit.models import Action
from puncta.audit.services import Actor, Entry, record_many

from .models import Patient, PatientNameKey


class MergeRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def patient_merge(*, actor: Actor, keep: Patient, duplicate: Patient, reason: str) -> Patient:
    reason = reason.strip()[:2000]
    if not reason:
        raise MergeRefused(_("Give the reason for the merge."))
    if keep.pk == duplicate.pk or keep.clinic_id != duplicate.clinic_id:
        raise MergeRefused(_("Choose another record of this clinic."))
    with transaction.atomic():
        kept, dup = (Patient.objects.select_for_update().get(pk=p.pk)
                     for p in (keep, duplicate))
        if kept.merged_into_id or dup.merged_into_id:
            raise MergeRefused(_("This record was already merged."))
        moved: dict[str, int] = {}
        for rel in Patient._meta.related_objects:
            # Name keys are the duplicate's own name: they stay with it (search finds the
            # kept record by its own name).
            if rel.related_model in (Patient, PatientNameKey):
                continue
            n = rel.related_model._default_manager.filter(**{rel.field.name: dup}).update(
                **{rel.field.name: kept})
            if n:
                moved[rel.related_model._meta.label_lower] = n
        dup.merged_into = kept
        dup.save(update_fields=["merged_into", "updated_at"])
        kept.version += 1
        kept.save(update_fields=["version", "updated_at"])
        record_many(actor, [
            Entry(Action.UPDATE, "patients.patient", str(kept.pk), kept.pk, reason=reason,
                  data={"merged_from": dup.pk, "merged_mrn": dup.mrn, "moved": moved}),
            Entry(Action.UPDATE, "patients.patient", str(dup.pk), dup.pk, reason=reason,
                  data={"merged_into": kept.pk, "kept_mrn": kept.mrn}),
        ], clinic_id=kept.clinic_id)
    return kept
