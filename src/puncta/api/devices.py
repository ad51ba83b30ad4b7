"""Devices, licence verification and cartridge lots over the JSON API: scoped to the
token's clinic and audited like the web."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from puncta.audit.services import actor_from_request
from puncta.clinics import clock
from puncta.devices import selectors
from puncta.devices.licensing import licence_state
from puncta.devices.models import CartridgeLot, Device
from puncta.devices.recall import audit_trace, trace_rows
from puncta.devices.services import DrawRefused, lot_draw, lot_receive

from .auth import require
from .schemas import Error

router = Router(tags=["devices"])



class LicenceOut(Schema):
    authority: str
    number: str
    name: str
    device_class: int
    status: str
    first_date: dt.date | None
    end_date: dt.date | None
    company: str
    product_code: str
    regulation_number: str


class DeviceOut(Schema):
    id: int
    kind: str
    manufacturer: str
    model_name: str
    serial_number: str
    intended_use: str
    max_depth_mm: float
    needle_counts: list[int]
    speed_min: int | None
    speed_max: int | None
    status: str
    licence: LicenceOut | None
    licence_state: str
    licence_reasons: list[str]


class VerifyOut(Schema):
    licence: str
    found: bool
    active: bool
    class_: int | None = Field(None, alias="class")
    licensed_for_medical_microneedling: bool
    trade_names: list[str]
    reasons: list[str]
    name: str | None = None
    status: str | None = None
    first_date: str | None = None
    end_date: str | None = None
    company: str | None = None
    on: str


class LotOut(Schema):
    id: int
    product_id: int
    product: str
    lot_number: str
    expiry: dt.date
    quantity_received: int
    quantity_left: int
    received_on: dt.date


class LotIn(Schema):
    product_id: int
    lot_number: str = Field(min_length=1, max_length=64)
    expiry: dt.date
    quantity: int = Field(ge=1, le=100000)


class DrawIn(Schema):
    device_id: int
    patient_id: int | None = None
    reference: str = Field("", max_length=100)
    on: dt.date | None = None


class DrawOut(Schema):
    id: int
    lot_id: int
    device_id: int
    patient_id: int | None
    reference: str
    on: dt.date
    quantity_left: int


class TraceRow(Schema):
    lot: str
    product: str
    expiry: str
    date: str
    reference: str
    device_serial: str
    device_model: str
    patient_id: int | None
    patient_mrn: str
    patient_name: str
    patient_email: str
    patient_phone: str
    drawn_by: str


def _device_out(device: Device, on: dt.date, jurisdiction: str) -> dict[str, Any]:
    state = licence_state(device, on, jurisdiction)
    lic = device.licence
    return {
        **{f: getattr(device, f) for f in (
            "id", "kind", "manufacturer", "model_name", "serial_number", "intended_use",
            "needle_counts", "speed_min", "speed_max", "status")},
        "max_depth_mm": float(device.max_depth_mm),
        "licence": None if lic is None else {f: getattr(lic, f) for f in LicenceOut.model_fields},
        "licence_state": state.code,
        "licence_reasons": state.reasons,
    }


def _lot_out(lot: CartridgeLot) -> dict[str, Any]:
    return {**{f: getattr(lot, f) for f in LotOut.model_fields if f != "product"},
            "product": str(lot.product)}


@router.get("", response=list[DeviceOut])
def list_devices(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, "device.view")
    today = clock.today(request.clinic)
    return [_device_out(d, today, request.clinic.jurisdiction)
            for d in selectors.devices_of(request.clinic.pk)]


@router.get("/licences/verify", response=VerifyOut, by_alias=True)
def verify_licence(request: HttpRequest, number: str = Query(..., max_length=30),
                   on: dt.date | None = None) -> dict[str, Any]:
    require(request, "device.view")
    return selectors.licence_verify(number, on or clock.today(request.clinic))


@router.get("/lots", response=list[LotOut])
def list_lots(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, "device.view")
    return [_lot_out(lot) for lot in selectors.lots_of(request.clinic.pk)]


@router.post("/lots", response={201: LotOut, 404: Error, 422: Error})
def receive_lot(request: HttpRequest, payload: LotIn) -> Status:
    require(request, "lot.receive")
    product = selectors.product_get(request.clinic.pk, payload.product_id)
    try:
        lot = lot_receive(actor=actor_from_request(request), product=product,
                          lot_number=payload.lot_number, expiry=payload.expiry,
                          quantity=payload.quantity)
    except ValidationError as exc:
        raise HttpError(422, "; ".join(f"{k}: {' '.join(v)}"
                                       for k, v in exc.message_dict.items())) from None
    return Status(201, _lot_out(lot))


@router.post("/lots/{lot_id}/draws", response={201: DrawOut, 404: Error, 409: Error})
def draw_from_lot(request: HttpRequest, lot_id: int, payload: DrawIn) -> Status:
    require(request, "lot.draw")
    clinic_id = request.clinic.pk
    lot = selectors.lot_get(clinic_id, lot_id)
    device = selectors.device_get(clinic_id, payload.device_id)
    patient = (None if payload.patient_id is None
               else selectors.patient_in_clinic(clinic_id, pk=payload.patient_id))
    try:
        draw = lot_draw(actor=actor_from_request(request), lot=lot, device=device,
                        patient=patient, reference=payload.reference, on=payload.on)
    except DrawRefused as exc:
        raise HttpError(409, f"{exc.code}: {exc.message}") from None
    return Status(201, {"id": draw.pk, "lot_id": lot.pk, "device_id": device.pk,
                        "patient_id": draw.patient_id, "reference": draw.reference,
                        "on": draw.on, "quantity_left": lot.quantity_left})


@router.get("/lots/{lot_id}/trace", response={200: list[TraceRow], 404: Error})
def trace_lot(request: HttpRequest, lot_id: int) -> list[dict[str, Any]]:
    require(request, "lot.trace")
    lot = selectors.lot_get(request.clinic.pk, lot_id)
    draws = list(selectors.lot_trace([lot]))
    audit_trace(actor_from_request(request), draws, via="api")
    return trace_rows(draws)


@router.get("/{device_id}", response={200: DeviceOut, 404: Error})
def read_device(request: HttpRequest, device_id: int) -> dict[str, Any]:
    require(request, "device.view")
    return _device_out(selectors.device_get(request.clinic.pk, device_id),
                       clock.today(request.clinic), request.clinic.jurisdiction)
