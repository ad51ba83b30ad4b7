"""A consented patient with an acne-scar course; photographs stored in a temporary
directory; JPEGs made on the spot (with GPS and other metadata to strip)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from PIL import Image

from puncta.consent import services as consent_services
from puncta.consent.models import ConsentTemplate

from ..scheduling.conftest import acne_plan, actor_of, clinic_ready, ready_patient  # noqa: F401

STROKES = json.dumps([[[1, 1], [5, 5], [9, 9], [20, 4], [30, 8]]])


@pytest.fixture(autouse=True)
def photo_storage(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "photos": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "photos"), "base_url": None}}}
    return tmp_path / "photos"


def jpeg(size=(60, 40), colour=(200, 40, 40), *, gps=True, orientation=6) -> bytes:
    """A JPEG as a phone writes it: EXIF with the maker, orientation and GPS position,
    an XMP packet and a comment."""
    img = Image.new("RGB", size, colour)
    for x in range(size[0] // 4):  # a mark in the top-left corner to check the rotation
        for y in range(size[1] // 4):
            img.putpixel((x, y), (0, 0, 255))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Model X"
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (45.0, 25.0, 1.5), 3: "W",
                                     4: (75.0, 41.0, 2.0)})
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, comment=b"secret comment",
             xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">GPSLatitude 45,25</x:xmpmeta>')
    return buf.getvalue()


def consent_photography(personas, patient):
    consent_services.templates_ensure(personas.clinic)
    template = ConsentTemplate.objects.get(clinic=personas.clinic, procedure="photography",
                                           language="en", version=1)
    return consent_services.consent_sign(
        actor=actor_of(personas.nurse), patient=patient, template=template, signer_name="P",
        understood=True, strokes_json=STROKES)


@pytest.fixture
def course(personas, clinic_ready):  # noqa: F811
    # ready_patient signs the consents a charted session needs, photography included.
    patient = ready_patient(personas, given_name="Chloé", family_name="Roy",
                            email="chloe@example.org")
    return acne_plan(personas, patient, start=timezone.localdate() + dt.timedelta(days=1))


@pytest.fixture
def bare_course(personas, clinic_ready):  # noqa: F811
    """A course whose patient never consented to photography."""
    patient = ready_patient(personas, consents=("microneedling", "numbing"), given_name="Noé",
                            family_name="Sansphoto")
    return acne_plan(personas, patient, start=timezone.localdate() + dt.timedelta(days=1))


def signed_sessions(personas, plan, n, *, depth="1.50", first=None, gap_days=42):
    """n signed sessions of the course, written directly (charting has its own tests)."""
    from puncta.charting.models import Chart, ChartStatus

    first = first or plan.start
    zones = [{"zone": "cheek", "depth_mm": depth, "passes": 3}]
    return Chart.objects.bulk_create([
        Chart(clinic=personas.clinic, patient=plan.patient, plan=plan, indication="acne_scars",
              severity="mild", on=first + dt.timedelta(days=gap_days * i),
              practitioner=personas.aesthetician, content={"zones": zones},
              status=ChartStatus.FINAL, created_by=personas.physician.user)
        for i in range(n)])
