"""Devices, licence verification and cartridge lots over the JSON API: scoped to the
token's clinic and audited like the web."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from puncta.accounts.http import ClinicRequest
from puncta.audit.services import actor_from_request
from puncta.clinics import clock
from puncta.devices import selectors
from puncta.devices.licensing import licence_state
from puncta.devices.models import CartridgeLot, CartridgeProduct, Device
from puncta.devices.recall import audit_trace, trace_rows
from puncta.devices.services import (
    cartridge_product_create,
    device_register,
    lot_draw,
    lot_receive,
)

from .auth import require
from .pagination import Page, PageIn, page
from .schemas import Day

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
    expiry: Day
    quantity: int = Field(ge=1, le=100000)


class DrawIn(Schema):
    device_id: int
    patient_id: int | None = None
    reference: str = Field("", max_length=100)
    on: Day | None = None


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


@router.get("", response=Page[DeviceOut])
def list_devices(request: ClinicRequest, paging: Query[PageIn]) -> dict[str, Any]:
    require(request, "device.view")
    today = clock.today(request.clinic)
    result = page(selectors.devices_of(request.clinic.pk), paging)
    result["items"] = [_device_out(d, today, request.clinic.jurisdiction)
                       for d in result["items"]]
    return result


@router.get("/licences/verify", response=VerifyOut, by_alias=True)
def verify_licence(request: ClinicRequest, number: str = Query(..., max_length=30),
                   on: Day | None = None) -> dict[str, Any]:
    require(request, "device.view")
    return selectors.licence_verify(number, on or clock.today(request.clinic))


@router.get("/lots", response=Page[LotOut])
def list_lots(request: ClinicRequest, paging: Query[PageIn]) -> dict[str, Any]:
    require(request, "device.view")
    result = page(selectors.lots_of(request.clinic.pk), paging)
    result["items"] = [_lot_out(lot) for lot in result["items"]]
    return result


@router.post("/lots", response={201: LotOut})
def receive_lot(request: ClinicRequest, payload: LotIn) -> Status:
    require(request, "lot.receive")
    product = selectors.product_get(request.clinic.pk, payload.product_id)
    lot = lot_receive(actor=actor_from_request(request), product=product,
                      lot_number=payload.lot_number, expiry=payload.expiry,
                      quantity=payload.quantity)
    return Status(201, _lot_out(lot))


@router.post("/lots/{lot_id}/draws", response={201: DrawOut})
def draw_from_lot(request: ClinicRequest, lot_id: int, payload: DrawIn) -> Status:
    require(request, "lot.draw")
    clinic_id = request.clinic.pk
    lot = selectors.lot_get(clinic_id, lot_id)
    device = selectors.device_get(clinic_id, payload.device_id)
    patient = (None if payload.patient_id is None
               else selectors.patient_in_clinic(clinic_id, pk=payload.patient_id))
    draw = lot_draw(actor=actor_from_request(request), lot=lot, device=device,
                    patient=patient, reference=payload.reference, on=payload.on)
    return Status(201, {"id": draw.pk, "lot_id": lot.pk, "device_id": device.pk,
                        "patient_id": draw.patient_id, "reference": draw.reference,
                        "on": draw.on, "quantity_left": lot.quantity_left})


@router.get("/lots/{lot_id}/trace", response=Page[TraceRow])
def trace_lot(request: ClinicRequest, lot_id: int, paging: Query[PageIn]) -> dict[str, Any]:
    require(request, "lot.trace")
    lot = selectors.lot_get(request.clinic.pk, lot_id)
    result = page(selectors.lot_trace([lot]), paging)
    audit_trace(actor_from_request(request), result["items"], via="api")
    result["items"] = trace_rows(result["items"])
    return result


class DeviceIn(Schema):
    kind: Literal["pen", "roller", "stamp", "rf"]
    manufacturer: str = Field(min_length=1, max_length=200)
    model_name: str = Field(min_length=1, max_length=200)
    serial_number: str = Field(min_length=1, max_length=100)
    intended_use: str = Field("professional", max_length=12)
    max_depth_mm: Decimal = Field(gt=0, le=5, max_digits=4, decimal_places=2)
    needle_counts: list[int] = Field([], max_length=20)
    speed_min: int | None = Field(None, ge=0, le=100000)
    speed_max: int | None = Field(None, ge=0, le=100000)


class LicenceIn(Schema):
    authority: Literal["HC", "FDA"]
    number: str = Field(min_length=1, max_length=30)


class ProductIn(Schema):
    manufacturer: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)
    needle_count: int = Field(ge=1, le=200)
    configuration: str = Field("", max_length=100)
    compatible_models: list[str] = Field([], max_length=50)
    single_use: bool = True
    sterile: bool = True


class ProductOut(Schema):
    id: int
    manufacturer: str
    name: str
    needle_count: int
    configuration: str
    compatible_models: list[str]
    single_use: bool
    sterile: bool


@router.post("", response={201: DeviceOut})
def register_device(request: ClinicRequest, payload: DeviceIn) -> Status:
    """Register a device of the clinic (link its licence next)."""
    require(request, "device.manage")
    device = device_register(actor=actor_from_request(request), clinic_id=request.clinic.pk,
                             **payload.dict())
    return Status(201, _device_out(device, clock.today(request.clinic),
                                   request.clinic.jurisdiction))


@router.put("/{device_id}/licence", response=DeviceOut)
def link_licence(request: ClinicRequest, device_id: int, payload: LicenceIn) -> dict[str, Any]:
    """Link the device to its licence: a Health Canada licence must be in the imported
    registry; an FDA clearance is recorded as given."""
    require(request, "device.manage")
    device = device_register(
        actor=actor_from_request(request), clinic_id=request.clinic.pk,
        device=selectors.device_get(request.clinic.pk, device_id),
        licence={"authority": payload.authority, "number": payload.number})
    return _device_out(device, clock.today(request.clinic), request.clinic.jurisdiction)


@router.get("/products", response=Page[ProductOut])
def products(request: ClinicRequest, paging: Query[PageIn]) -> Any:
    require(request, "device.view")
    return page(CartridgeProduct.objects.filter(clinic=request.clinic)
                .order_by("manufacturer", "name", "id"), paging)


@router.post("/products", response={201: ProductOut})
def add_product(request: ClinicRequest, payload: ProductIn) -> Status:
    require(request, "device.manage")
    product = cartridge_product_create(actor=actor_from_request(request),
                                       clinic_id=request.clinic.pk, **payload.dict())
    return Status(201, product)


@router.get("/{device_id}", response=DeviceOut)
def read_device(request: ClinicRequest, device_id: int) -> dict[str, Any]:
    require(request, "device.view")
    return _device_out(selectors.device_get(request.clinic.pk, device_id),
                       clock.today(request.clinic), request.clinic.jurisdiction)
