"""Correcting the device or the cartridge lot of a signed chart, by amendment.

A wrong lot on a signed chart is a wrong recall trace: the correction moves the chart's
cartridge draw to the right lot (the cartridge goes back to the wrong lot's count and is
taken from the right one), so a recall of either lot names the right patients. The rules
run again on the corrected equipment (a device not licensed, a lot expired, quarantined or
not fitting is refused). Everything in one transaction with its audit row; the content
before and after are kept in an ``Amendment`` like any other correction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from puncta.accounts.roles import has_perm
from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.devices.models import CartridgeLot, LotDraw

from . import services
from .models import Amendment, Chart, ChartStatus
from .services import ChartError


def _equipment(chart: Chart) -> dict[str, Any]:
    return {"device_id": chart.device_id,
            "device": f"{chart.device.model_name} ({chart.device.serial_number})"
            if chart.device else "",
            "lot_number": chart.lot.lot_number if chart.lot else ""}


def chart_correct_equipment(*, actor: Actor, chart: Chart, reason: str,
                            device_id: int | None = None, lot_number: str = "") -> Amendment:
    reason = reason.strip()
    if not reason:
        raise ChartError("reason", _("Give the reason for the amendment."), code="reason")
    with transaction.atomic():
        locked = Chart.objects.select_for_update(of=("self",)).select_related(
            "patient__clinic", "practitioner__user", "supervisor__user", "plan", "device",
            "lot__product", "lot_draw").get(pk=chart.pk)
        if locked.status == ChartStatus.DRAFT:
            raise ChartError("status", _("A draft is edited, not amended."), code="draft")
        if actor.user is None or (actor.user.pk not in (
                locked.practitioner.user_id, getattr(locked.supervisor, "user_id", None))
                and not has_perm(actor.role, "chart.cosign")):
            raise ChartError("status", _(
                "Only the practitioner, the supervising physician or a physician can amend "
                "this chart."), code="not_allowed")
        before = _equipment(locked)
        old_lot_id = locked.lot_id
        refs = {"practitioner_id": locked.practitioner_id,
                "supervisor_id": locked.supervisor_id,
                "device_id": device_id if device_id is not None else locked.device_id,
                "lot_number": lot_number.strip()[:64] or before["lot_number"]}
        errors: dict[str, str] = {}
        ev = services._evaluate_and_save(locked, refs, errors, content=dict(locked.content))
        if errors:
            raise ChartError(next(iter(errors)), "; ".join(errors.values()), code="input")
        if refs["lot_number"] and locked.lot is None:
            raise ChartError("lot", _("No cartridge lot %(lot)s was received in this clinic.")
                             % {"lot": refs["lot_number"]}, code="lot.unknown")
        if locked.lot is not None and locked.lot.quarantined:
            raise ChartError("lot", _("Lot %(lot)s is quarantined: no cartridge may be drawn "
                                      "from it.") % {"lot": locked.lot.lot_number},
                             code="lot.quarantined")
        if ev.verdict == "refuse":
            raise ChartError("verdict", _(
                "The rules refuse the corrected equipment: see the findings."), code="refused")
        after = _equipment(locked)
        changed = [k for k in ("device", "lot_number") if before[k] != after[k]]
        if not changed:
            raise ChartError("reason", _("The amendment changes nothing."), code="unchanged")
        draw = locked.lot_draw
        if draw is not None and locked.lot is not None:
            if locked.lot_id != old_lot_id:
                # The cartridge goes back to the wrong lot and is taken from the right one.
                CartridgeLot.objects.filter(pk=old_lot_id).update(
                    quantity_left=F("quantity_left") + 1)
                taken = CartridgeLot.objects.filter(pk=locked.lot_id, quantity_left__gt=0
                                                    ).update(quantity_left=F("quantity_left")
                                                             - 1)
                if not taken:
                    raise ChartError("lot", _("Lot %(lot)s has no cartridges left.")
                                     % {"lot": locked.lot.lot_number}, code="lot.empty")
            LotDraw.objects.filter(pk=draw.pk).update(lot=locked.lot, device=locked.device)
        number = locked.amendments.count() + 1
        after_doc = services.document(locked, locked.content, ev.findings, ev.verdict,
                                      ev.rules_version)
        after_doc["amendment"] = {"number": number, "reason": reason, "by": str(actor.user),
                                  "previous_sha256": services._latest_sha(locked)}
        amendment = Amendment.objects.create(
            chart=locked, number=number, reason=reason[:2000],
            before={**locked.content, **before}, after={**locked.content, **after},
            changed=changed, verdict=ev.verdict, findings=ev.findings,
            rules_version=ev.rules_version, sha256=services.sha256_of(after_doc),
            by=actor.user)
        fields = ["device", "lot", "content", "verdict", "findings", "rules_version",
                  "cosign_required", "supervision_required", "version", "updated_at"]
        if ev.verdict != "allow" and locked.status == ChartStatus.FINAL:
            locked.status = ChartStatus.PENDING_COSIGN
            locked.cosigned_by, locked.cosigned_at, locked.cosign_note = None, None, ""
            fields += ["status", "cosigned_by", "cosigned_at", "cosign_note"]
        locked.version += 1
        locked.save(update_fields=fields)
        record(actor, Action.UPDATE, amendment, patient_id=locked.patient_id, reason=reason,
               data={"chart": locked.pk, "number": number, "changed": changed,
                     "before": before, "after": after, "lot_draw": draw.pk if draw else None,
                     "sha256": amendment.sha256})
    return amendment
