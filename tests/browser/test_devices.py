"""The device journey in a real browser: add a licensed pen, see its badge, receive a
lot, draw a cartridge and open the recall trace."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from puncta.audit.services import Actor
from puncta.devices.models import LotDraw
from puncta.devices.services import cartridge_product_create

from ..devices.conftest import fixture_files
from ..factories import PASSWORD
from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_device_receive_lot_draw_and_trace(page, personas):
    from puncta.devices.services import registry_import

    registry_import(actor=Actor(label="test"),
                    files=fixture_files("licence.json", "device.json", "company.json"))
    cartridge_product_create(actor=Actor(label="test"), clinic_id=personas.clinic.pk,
                             manufacturer="Demo", name="12-needle", needle_count=12,
                             compatible_models=["DemoPen Pro"])
    login(page, "physician", PASSWORD)
    page.get_by_role("link", name="Devices").first.click()
    page.get_by_role("link", name="New device").click()
    page.get_by_label("Type").select_option("pen")
    page.get_by_label("Manufacturer").fill("Demo")
    page.get_by_label("Model or trade name").fill("DemoPen Pro")
    page.get_by_label("Serial number").fill("B-77")
    page.get_by_label("Maximum depth (mm)").fill("2.5")
    page.locator("#id_licence_authority").select_option("HC")
    page.get_by_label("Licence or clearance number").fill("42")
    page.get_by_role("button", name="Add device").click()
    expect(page.locator("#id_licence_number-error")).to_contain_text("not in the imported")
    page.get_by_label("Licence or clearance number").fill("0099 001")
    page.get_by_role("button", name="Add device").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DemoPen Pro")
    expect(page.locator("[data-licence-state]").first).to_have_text("Licensed")

    page.get_by_role("link", name="Cartridge lots").click()
    page.locator("#id_lot-product").select_option(label="Demo 12-needle")
    page.get_by_label("Lot number").fill("BR-1")
    page.get_by_label("Expiry date").fill("2099-12-31")
    page.get_by_label("Quantity received").fill("5")
    page.get_by_role("button", name="Receive lot").click()
    page.get_by_role("link", name="BR-1").click()
    page.locator("#id_device").select_option(label="Demo DemoPen Pro (B-77)")
    page.get_by_label("Reference").fill("chart:77")
    page.get_by_role("button", name="Draw cartridge").click()
    expect(page.locator("#lot-left")).to_have_text("4 / 5")
    page.get_by_role("link", name="Recall trace").click()
    expect(page.get_by_role("table")).to_contain_text("chart:77")
    assert LotDraw.objects.get().reference == "chart:77"
