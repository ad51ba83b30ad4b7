"""Quarantine of a cartridge lot (a recall, a suspect batch): draws are refused until it
is released; the recall trace lists the patients already treated from it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from puncta.audit.models import Action
from puncta.audit.services import Actor, record

from .models import CartridgeLot
from .services import DrawRefused


def lot_quarantine(*, actor: Actor, lot: CartridgeLot, reason: str) -> CartridgeLot:
    reason = reason.strip()[:2000]
    if not reason:
        raise DrawRefused("reason", _("Give the reason for the quarantine (e.g. the recall "
                                      "notice)."))
    with transaction.atomic():
        locked = CartridgeLot.objects.select_for_update().get(pk=lot.pk)
        if locked.quarantined_at is not None:
            return locked
        locked.quarantined_at, locked.quarantined_by = timezone.now(), actor.user
        locked.quarantine_reason = reason
        locked.save(update_fields=["quarantined_at", "quarantined_by", "quarantine_reason"])
        record(actor, Action.UPDATE, locked, reason=reason, data={"quarantined": True})
    return locked


def lot_release(*, actor: Actor, lot: CartridgeLot, reason: str) -> CartridgeLot:
    reason = reason.strip()[:2000]
    if not reason:
        raise DrawRefused("reason", _("Give the reason for releasing the lot."))
    with transaction.atomic():
        locked = CartridgeLot.objects.select_for_update().get(pk=lot.pk)
        locked.quarantined_at, locked.quarantined_by = None, None
        locked.save(update_fields=["quarantined_at", "quarantined_by"])
        record(actor, Action.UPDATE, locked, reason=reason, data={"quarantined": False})
    return locked
