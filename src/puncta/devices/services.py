"""Writes to devices, licences, the registry and cartridge lots: one transaction each,
with the audit event inside it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from puncta.audit.models import Action
from puncta.audit.services import Actor, Entry, record, record_many
from puncta.clinics import clock
from puncta.clinics.errors import DomainError

from .mdall import ParsedFile
from .models import (
    Authority,
    CartridgeLot,
    CartridgeProduct,
    Device,
    DeviceLogEntry,
    DeviceStatus,
    Licence,
    LotDraw,
    RegistryCompany,
    RegistryDevice,
    RegistryLicence,
    normalise_licence_number,
)

# --- Registry import ------------------------------------------------------------------------

_REGISTRY = {
    "licence": (RegistryLicence, "original_licence_no"),
    "device": (RegistryDevice, "device_id"),
    "company": (RegistryCompany, "company_id"),
}


@dataclass
class ImportReport:
    counts: dict[str, dict[str, int]] = field(default_factory=lambda: {
        kind: {"new": 0, "changed": 0, "unchanged": 0} for kind in _REGISTRY
    })
    licences_updated: int = 0  # clinic licence records brought in step with the registry

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts, "clinic_licences_updated": self.licences_updated}


def registry_import(*, actor: Actor, files: Iterable[ParsedFile]) -> ImportReport:
    """Upsert MDALL rows; all files or none. Clinic HC licences follow the registry."""
    report = ImportReport()
    with transaction.atomic():
        for parsed in files:
            if parsed.kind == "empty":
                continue
            model, key = _REGISTRY[parsed.kind]
            for row in parsed.rows:
                existing = model.objects.filter(**{key: row[key]}).first()
                if existing is None:
                    model.objects.create(**row)
                    report.counts[parsed.kind]["new"] += 1
                elif any(getattr(existing, k) != v for k, v in row.items()):
                    for k, v in row.items():
                        setattr(existing, k, v)
                    existing.save()
                    report.counts[parsed.kind]["changed"] += 1
                else:
                    report.counts[parsed.kind]["unchanged"] += 1
        report.licences_updated = _sync_clinic_licences(actor)
        record(actor, Action.UPDATE, object_type="devices.registry", data=report.as_dict())
    return report


def _registry_fields(reg: RegistryLicence) -> dict[str, Any]:
    company = RegistryCompany.objects.filter(company_id=reg.company_id).first()
    return {
        "name": reg.licence_name,
        "device_class": reg.appl_risk_class,
        "status": reg.licence_status,
        "first_date": reg.first_licence_status_dt,
        "end_date": reg.end_date,
        "company": company.company_name if company else "",
    }


def _sync_clinic_licences(actor: Actor) -> int:
    registry = {
        str(r.original_licence_no): r
        for r in RegistryLicence.objects.filter(
            original_licence_no__in=[
                int(n) for n in Licence.objects.filter(authority=Authority.HC)
                .values_list("number", flat=True)
            ]
        )
    }
    entries: list[tuple[int, Entry]] = []
    for lic in Licence.objects.select_for_update().filter(authority=Authority.HC,
                                                          number__in=registry):
        wanted = _registry_fields(registry[lic.number])
        changed = sorted(k for k, v in wanted.items() if getattr(lic, k) != v)
        if changed:
            for k in changed:
                setattr(lic, k, wanted[k])
            lic.save()
            entries.append((lic.clinic_id, Entry(Action.UPDATE, "devices.licence", str(lic.pk),
                                                 data={"changed": changed, "via": "registry"})))
    for clinic_id, entry in entries:
        record_many(actor, [entry], clinic_id=clinic_id)
    return len(entries)


# --- Licences and devices -------------------------------------------------------------------


def licence_link(
    *, actor: Actor, clinic_id: int, authority: str, number: str, **fda: Any
) -> Licence:
    """The clinic's record of a licence: an HC licence must be in the imported registry
    (so nobody types in a licence Health Canada never issued); an FDA clearance is typed."""
    try:
        number = normalise_licence_number(authority, number)
    except ValueError as exc:
        raise ValidationError({"licence_number": str(exc)}) from None
    with transaction.atomic():
        if authority == Authority.HC:
            reg = RegistryLicence.objects.filter(original_licence_no=int(number)).first()
            if reg is None:
                raise ValidationError({"licence_number": _(
                    "Licence %(number)s is not in the imported Health Canada registry. "
                    "Import it first (puncta devices import-mdall).") % {"number": number}})
            wanted = _registry_fields(reg)
        else:
            wanted = {k: v for k, v in fda.items() if v not in (None, "")}
            wanted.setdefault("status", "cleared")
        lic, created = Licence.objects.get_or_create(
            clinic_id=clinic_id, authority=authority, number=number,
            defaults={"device_class": wanted.get("device_class", 2)},
        )
        changed = sorted(k for k, v in wanted.items() if getattr(lic, k) != v)
        for k in changed:
            setattr(lic, k, wanted[k])
        if created or changed:
            lic.full_clean()
            lic.save()
            record(actor, Action.CREATE if created else Action.UPDATE, lic,
                   data={"changed": changed})
    return lic


DEVICE_FIELDS = ("kind", "manufacturer", "model_name", "serial_number", "intended_use",
                 "max_depth_mm", "needle_counts", "speed_min", "speed_max", "status", "licence")

def _duplicate_serial() -> ValidationError:
    return ValidationError({"serial_number": [
        _("This clinic already has a device with this serial number.")]})


def _save_device(device: Device) -> None:
    device.serial_number = device.serial_number.strip()
    if Device.objects.filter(clinic_id=device.clinic_id, serial_number=device.serial_number
                             ).exclude(pk=device.pk).exists():
        raise _duplicate_serial()
    device.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            device.save()
    except IntegrityError:
        # Two people saving the same serial at once: the constraint decides.
        raise _duplicate_serial() from None


def device_create(*, actor: Actor, clinic_id: int, **fields: Any) -> Device:
    with transaction.atomic():
        device = Device(clinic_id=clinic_id, **fields)
        _save_device(device)
        record(actor, Action.CREATE, device, data={"fields": sorted(fields)})
    return device


def device_update(*, actor: Actor, device: Device, **fields: Any) -> Device:
    with transaction.atomic():
        current = Device.objects.select_for_update().get(pk=device.pk)
        changed = []
        for name, value in fields.items():
            if name not in DEVICE_FIELDS:
                raise ValueError(f"{name} is not editable")
            if getattr(current, name) != value:
                setattr(current, name, value)
                changed.append(name)
        if changed:
            current.version += 1
            _save_device(current)
            record(actor, Action.UPDATE, current, data={"changed": sorted(changed)})
    return current


def device_register(*, actor: Actor, clinic_id: int, device: Device | None = None,
                    licence: dict[str, Any] | None = None, **fields: Any) -> Device:
    """Create (or, given ``device``, update) a device and link its licence, all or nothing.

    ``licence`` is ``{"authority", "number", **fda_fields}``; None leaves it unlinked."""
    with transaction.atomic():
        if licence:
            fields["licence"] = licence_link(actor=actor, clinic_id=clinic_id, **licence)
        elif licence is not None:
            fields["licence"] = None
        if device is None:
            return device_create(actor=actor, clinic_id=clinic_id, **fields)
        return device_update(actor=actor, device=device, **fields)


def device_log_add(*, actor: Actor, device: Device, kind: str, on: dt.date,
                   note: str = "") -> DeviceLogEntry:
    with transaction.atomic():
        entry = DeviceLogEntry(device=device, kind=kind, on=on, note=note.strip(), by=actor.user)
        entry.full_clean()
        entry.save()
        record(actor, Action.CREATE, entry, data={"device": device.pk, "kind": kind})
    return entry


# --- Cartridges and lots --------------------------------------------------------------------


def cartridge_product_create(*, actor: Actor, clinic_id: int, **fields: Any) -> CartridgeProduct:
    with transaction.atomic():
        product = CartridgeProduct(clinic_id=clinic_id, **fields)
        product.full_clean()
        product.save()
        record(actor, Action.CREATE, product, data={"fields": sorted(fields)})
    return product


def lot_receive(
    *, actor: Actor, product: CartridgeProduct, lot_number: str, expiry: dt.date,
    quantity: int, received_on: dt.date | None = None,
) -> CartridgeLot:
    with transaction.atomic():
        lot = CartridgeLot(
            clinic_id=product.clinic_id, product=product, lot_number=lot_number.strip(),
            expiry=expiry, quantity_received=quantity, quantity_left=quantity,
            received_on=received_on or clock.today(product.clinic), received_by=actor.user,
        )
        if CartridgeLot.objects.filter(product=product, lot_number=lot.lot_number).exists():
            raise ValidationError({"lot_number": [_(
                "Lot %(lot)s of this cartridge has already been received."
            ) % {"lot": lot.lot_number}]})
        lot.full_clean()
        lot.save()
        record(actor, Action.CREATE, lot,
               data={"product": product.pk, "lot": lot.lot_number, "quantity": quantity})
    return lot


class DrawRefused(DomainError):
    """A cartridge may not be drawn from this lot; ``code`` for programs, ``message`` for
    people."""

    status = 409

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message, code=code, status=status)


def lot_draw(
    *, actor: Actor, lot: CartridgeLot, device: Device, patient: Any = None,
    reference: str = "", on: dt.date | None = None,
) -> LotDraw:
    """Take one cartridge from the lot for a session with the device (and patient)."""
    on = on or clock.today(lot.clinic)
    if on < lot.received_on:  # a cartridge cannot be used before its lot arrived
        raise DrawRefused("date", _(
            "The draw date cannot be before lot %(lot)s was received (%(received)s).")
            % {"lot": lot.lot_number, "received": lot.received_on.isoformat()}, status=422)
    if device.clinic_id != lot.clinic_id or (
        patient is not None and patient.clinic_id != lot.clinic_id
    ):
        raise DrawRefused("other_clinic", _("The lot, device and patient must belong to the "
                                            "same clinic."))
    if device.status != DeviceStatus.IN_SERVICE:
        raise DrawRefused("device_not_in_service", _(
            "Device %(device)s is not in service.") % {"device": device})
    if lot.expired_on(on):
        raise DrawRefused("expired", _("Lot %(lot)s expired on %(date)s.")
                          % {"lot": lot.lot_number, "date": lot.expiry.isoformat()})
    if CartridgeLot.objects.filter(pk=lot.pk, quarantined_at__isnull=False).exists():
        raise DrawRefused("quarantined", _("Lot %(lot)s is quarantined: no cartridge may be "
                                           "drawn from it.") % {"lot": lot.lot_number})
    if not lot.product.fits(device):
        raise DrawRefused("incompatible", _(
            "%(product)s cartridges do not fit %(model)s (they fit: %(models)s).") % {
            "product": lot.product, "model": device.model_name,
            "models": ", ".join(lot.product.compatible_models) or "—"})
    with transaction.atomic():
        # The condition in the UPDATE is the stock check: two draws of the last unit both
        # run it, the database serialises them on the row, and only one sees a unit left.
        taken = CartridgeLot.objects.filter(pk=lot.pk, quantity_left__gt=0).update(
            quantity_left=F("quantity_left") - 1
        )
        if not taken:
            raise DrawRefused("empty", _("Lot %(lot)s has no cartridges left.")
                              % {"lot": lot.lot_number})
        draw = LotDraw.objects.create(
            lot=lot, device=device, patient=patient, reference=reference.strip()[:100], on=on,
            drawn_by=actor.user, drawn_by_label=actor.display,
        )
        record(actor, Action.CREATE, draw, patient_id=getattr(patient, "pk", None),
               data={"lot": lot.pk, "device": device.pk, "reference": draw.reference})
    lot.quantity_left = CartridgeLot.objects.values_list("quantity_left", flat=True).get(
        pk=lot.pk)
    return draw
