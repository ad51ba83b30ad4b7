"""The co-signer returns a chart to its author with a note (instead of co-signing); the
author answers with an amendment, which puts the chart back in the co-sign queue.

Kept apart from ``services`` (sign, co-sign, amend) so the rules calls there stay as they
are; the same standards hold: one transaction, the audit row inside it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from puncta.audit.models import Action
from puncta.audit.services import Actor, record

from .models import Chart, ChartStatus
from .services import ChartError, can_cosign


def chart_return(*, actor: Actor, chart: Chart, note: str) -> Chart:
    note = note.strip()[:2000]
    if not note:
        raise ChartError("note", _("Write what the author should correct."), code="note")
    with transaction.atomic():
        locked = Chart.objects.select_for_update(of=("self",)).select_related(
            "supervisor__user", "practitioner__user").get(pk=chart.pk)
        if locked.status != ChartStatus.PENDING_COSIGN or locked.returned_at is not None:
            raise ChartError("status", _("This chart is not waiting for a co-signature."),
                             code="not_pending")
        if not can_cosign(actor, locked):
            raise ChartError("cosign", _(
                "Only the supervising physician named on the chart can return it."),
                code="not_supervisor")
        locked.returned_at, locked.returned_by, locked.return_note = (
            timezone.now(), actor.user, note)
        locked.version += 1
        locked.save(update_fields=["returned_at", "returned_by", "return_note", "version",
                                   "updated_at"])
        record(actor, Action.UPDATE, locked, patient_id=locked.patient_id, reason=note,
               data={"returned": True})
    return locked


def chart_resubmit(*, actor: Actor, chart: Chart) -> Chart:
    """After the author's amendment: back in the co-signer's queue (the note is kept in
    the chart's history through the audit log)."""
    with transaction.atomic():
        locked = Chart.objects.select_for_update(of=("self",)).get(pk=chart.pk)
        if locked.returned_at is None:
            return locked
        locked.returned_at, locked.returned_by = None, None
        locked.version += 1
        locked.save(update_fields=["returned_at", "returned_by", "version", "updated_at"])
        record(actor, Action.UPDATE, locked, patient_id=locked.patient_id,
               data={"resubmitted": True})
    return locked
