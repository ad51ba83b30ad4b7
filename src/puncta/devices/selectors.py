"""Reads of devices, licences, lots and the registry; clinic data always scoped to one
clinic (another clinic's record is a 404, so ids cannot be probed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .licensing import registry_min_class
from .models import (
    Authority,
    CartridgeLot,
    CartridgeProduct,
    Device,
    Licence,
    LotDraw,
    RegistryCompany,
    RegistryDevice,
    RegistryLicence,
    normalise_licence_number,
)


def _get(qs: QuerySet, pk: Any, what: str) -> Any:
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No such {what}") from None


def devices_of(clinic_id: int) -> QuerySet[Device]:
    return Device.objects.filter(clinic_id=clinic_id).select_related("licence")


def device_get(clinic_id: int, device_id: Any) -> Device:
    return _get(devices_of(clinic_id), device_id, "device")


def licences_of(clinic_id: int) -> QuerySet[Licence]:
    return Licence.objects.filter(clinic_id=clinic_id)


def products_of(clinic_id: int) -> QuerySet[CartridgeProduct]:
    return CartridgeProduct.objects.filter(clinic_id=clinic_id)


def product_get(clinic_id: int, product_id: Any) -> CartridgeProduct:
    return _get(products_of(clinic_id), product_id, "cartridge product")


def lots_of(clinic_id: int) -> QuerySet[CartridgeLot]:
    return CartridgeLot.objects.filter(clinic_id=clinic_id).select_related("product")


def lot_get(clinic_id: int, lot_id: Any) -> CartridgeLot:
    return _get(lots_of(clinic_id), lot_id, "lot")


def lots_by_number(lot_number: str, clinic_id: int | None = None) -> QuerySet[CartridgeLot]:
    qs = CartridgeLot.objects.filter(lot_number=lot_number.strip()).select_related(
        "product", "clinic")
    return qs if clinic_id is None else qs.filter(clinic_id=clinic_id)


def lot_trace(lots: QuerySet[CartridgeLot] | list[CartridgeLot]) -> QuerySet[LotDraw]:
    """Every use of the lots, with device and patient: what a recall letter needs."""
    return LotDraw.objects.filter(lot__in=lots).select_related(
        "lot__product", "device", "patient").order_by("on", "id")


def patient_in_clinic(clinic_id: int, *, pk: Any = None, mrn: str = "") -> Model:
    """A patient of the clinic for a draw, looked up by the app registry: devices sit
    below patients and must not import them."""
    patient_model = apps.get_model("patients", "Patient")
    qs = patient_model.objects.filter(clinic_id=clinic_id)
    if mrn:
        found = qs.filter(mrn__iexact=mrn.strip()).first()
        if found is None:
            raise Http404("No such patient")
        return found
    return _get(qs, pk, "patient")


def registry_search(query: str, limit: int = 25) -> list[RegistryLicence]:
    """Licences by number (spaces and leading zeros ignored), name or trade name."""
    query = query.strip()
    if not query:
        return []
    condition = Q(licence_name__icontains=query)
    try:
        condition |= Q(original_licence_no=int(normalise_licence_number(Authority.HC, query)))
    except ValueError:
        pass
    by_trade = RegistryDevice.objects.filter(trade_name__icontains=query).values(
        "original_licence_no")
    condition |= Q(original_licence_no__in=by_trade)
    return list(RegistryLicence.objects.filter(condition)[:limit])


def licence_verify(number: str | int, on: dt.date) -> dict[str, Any]:
    """Look a Health Canada licence up in the imported registry, as of ``on``."""
    try:
        normalised = normalise_licence_number(Authority.HC, number)
    except ValueError as exc:
        return {"licence": str(number), "found": False, "active": False, "class": None,
                "licensed_for_medical_microneedling": False, "trade_names": [],
                "reasons": [str(exc)], "on": on.isoformat()}
    reg = RegistryLicence.objects.filter(original_licence_no=int(normalised)).first()
    if reg is None:
        return {"licence": normalised, "found": False, "active": False, "class": None,
                "licensed_for_medical_microneedling": False, "trade_names": [],
                "reasons": [_("Licence %(number)s is not in the imported registry.")
                            % {"number": normalised}], "on": on.isoformat()}
    active = reg.active_on(on)
    reasons = []
    if reg.first_licence_status_dt and reg.first_licence_status_dt > on:
        reasons.append(_("The licence starts on %(date)s.")
                       % {"date": reg.first_licence_status_dt.isoformat()})
    elif not active:
        reasons.append(_("The licence ended on %(date)s.") % {"date": reg.end_date.isoformat()})
    min_class = registry_min_class()
    if reg.appl_risk_class < min_class:
        reasons.append(_("Class %(cls)s licence: medical microneedling needs Class II "
                         "or higher.") % {"cls": reg.appl_risk_class})
    company = RegistryCompany.objects.filter(company_id=reg.company_id).first()
    trade_names = list(RegistryDevice.objects.filter(original_licence_no=reg.original_licence_no)
                       .order_by("trade_name").values_list("trade_name", flat=True).distinct())
    return {
        "licence": normalised,
        "found": True,
        "active": active,
        "class": reg.appl_risk_class,
        "licensed_for_medical_microneedling": active and reg.appl_risk_class >= min_class,
        "trade_names": trade_names,
        "reasons": reasons,
        "name": reg.licence_name,
        "status": reg.licence_status,
        "first_date": reg.first_licence_status_dt.isoformat()
        if reg.first_licence_status_dt else None,
        "end_date": reg.end_date.isoformat() if reg.end_date else None,
        "company": company.company_name if company else None,
        "on": on.isoformat(),
    }


