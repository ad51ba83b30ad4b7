"""Demo devices for the demo clinic: two licensed professional pens, a consumer roller,
cartridges and two lots.

DEMO DATA: the licence numbers (99xxx), company ids (14xxxx) and device ids (88xxxx) are
invented for the demo and are not Health Canada records. Idempotent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from puncta.audit.services import Actor
from puncta.clinics import clock
from puncta.clinics.models import Clinic

from .mdall import ParsedFile
from .models import Device
from .services import (
    cartridge_product_create,
    device_create,
    licence_link,
    lot_receive,
    registry_import,
)

DEMO_REGISTRY = [
    ParsedFile("demo", "company", [
        {"company_id": 149901, "company_name": "DEMO NORTHERN DERMAL DEVICES INC. (demo data)",
         "address": {"city": "Toronto", "region_cd": "ON", "country_cd": "CA"},
         "company_status": "A"},
    ]),
    ParsedFile("demo", "licence", [
        {"original_licence_no": 99501, "licence_status": "I", "appl_risk_class": 2,
         "licence_name": "AURORA MICRONEEDLING PEN SYSTEM (demo data)",
         "first_licence_status_dt": dt.date(2020, 5, 4), "end_date": None,
         "licence_type_cd": "S", "company_id": 149901},
        {"original_licence_no": 99502, "licence_status": "I", "appl_risk_class": 2,
         "licence_name": "BOREAL PRECISION PEN (demo data)",
         "first_licence_status_dt": dt.date(2021, 9, 20), "end_date": None,
         "licence_type_cd": "S", "company_id": 149901},
    ]),
    ParsedFile("demo", "device", [
        {"device_id": 889501, "original_licence_no": 99501, "trade_name": "AURORA PEN A6",
         "first_licence_dt": dt.date(2020, 5, 4), "end_date": None},
        {"device_id": 889502, "original_licence_no": 99501,
         "trade_name": "AURORA 12-NEEDLE STERILE CARTRIDGE",
         "first_licence_dt": dt.date(2020, 5, 4), "end_date": None},
        {"device_id": 889503, "original_licence_no": 99502, "trade_name": "BOREAL PRECISION",
         "first_licence_dt": dt.date(2021, 9, 20), "end_date": None},
    ]),
]


def seed_demo_devices(clinic: Clinic, *, today: dt.date | None = None) -> None:
    if Device.objects.filter(clinic=clinic).exists():
        return
    today = today or clock.today(clinic)
    actor = Actor(label="demo seed", clinic_id=clinic.pk)
    with transaction.atomic():
        registry_import(actor=actor, files=DEMO_REGISTRY)
        aurora = licence_link(actor=actor, clinic_id=clinic.pk, authority="HC", number="99501")
        boreal = licence_link(actor=actor, clinic_id=clinic.pk, authority="HC", number="99502")
        device_create(actor=actor, clinic_id=clinic.pk, kind="pen", manufacturer="Aurora",
                      model_name="Aurora Pen A6", serial_number="AUR-A6-000142",
                      max_depth_mm=Decimal("2.50"), needle_counts=[12, 16, 36],
                      speed_min=6000, speed_max=18000, licence=aurora)
        device_create(actor=actor, clinic_id=clinic.pk, kind="pen", manufacturer="Boreal",
                      model_name="Boreal Precision", serial_number="BOR-P-2231",
                      max_depth_mm=Decimal("2.00"), needle_counts=[12, 14],
                      speed_min=5000, speed_max=14000, licence=boreal)
        device_create(actor=actor, clinic_id=clinic.pk, kind="roller",
                      manufacturer="Glow Home", model_name="Glow Roller 0.25",
                      serial_number="GLOW-R-0001", intended_use="consumer",
                      max_depth_mm=Decimal("0.25"), needle_counts=[540])
        cartridge = cartridge_product_create(
            actor=actor, clinic_id=clinic.pk, manufacturer="Aurora",
            name="12-needle sterile cartridge", needle_count=12, configuration="round",
            compatible_models=["Aurora Pen A6"], single_use=True, sterile=True)
        nano = cartridge_product_create(
            actor=actor, clinic_id=clinic.pk, manufacturer="Boreal",
            name="14-needle sterile cartridge", needle_count=14, configuration="round",
            compatible_models=["Boreal Precision"], single_use=True, sterile=True)
        lot_receive(actor=actor, product=cartridge, lot_number="AUR12-2411-07",
                    expiry=today + dt.timedelta(days=540), quantity=50, received_on=today)
        lot_receive(actor=actor, product=nano, lot_number="BOR14-2409-02",
                    expiry=today + dt.timedelta(days=300), quantity=20, received_on=today)

