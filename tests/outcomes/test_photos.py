"""Photographs: metadata stripped, upright, consent required, served only to the clinic's
clinicians through the view that audits the read; never under a public URL."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import storages
from PIL import Image

from puncta.audit.models import AuditEvent
from puncta.consent import services as consent_services
from puncta.consent.models import Consent
from puncta.outcomes import images, services
from puncta.outcomes.models import Photo

from ..conftest import client_for
from .conftest import actor_of, jpeg

pytestmark = pytest.mark.django_db
BASELINE = services.When("baseline")


def _add(personas, course, data=None, view="front", when=BASELINE):
    return services.photo_add(actor=actor_of(personas.nurse), patient=course.patient,
                              plan=course, data=jpeg() if data is None else data, view=view,
                              when=when)


def _stored(photo, size="key"):
    with storages["photos"].open(getattr(photo, size), "rb") as fh:
        return fh.read()


def test_jpeg_with_gps_goes_in_no_metadata_comes_out(personas, course):
    raw = jpeg()
    assert b"Exif" in raw and b"xmpmeta" in raw and Image.open(io.BytesIO(raw)).getexif(
        ).get_ifd(0x8825)
    photo = _add(personas, course, raw)
    for size in ("key", "medium_key", "thumb_key"):
        data = _stored(photo, size)
        img = Image.open(io.BytesIO(data))
        assert not img.getexif(), size
        assert "exif" not in img.info and "xmp" not in img.info and "comment" not in img.info
        for marker in (b"Exif", b"xmpmeta", b"GPS", b"PhoneMaker", b"secret comment"):
            assert marker not in data, (size, marker)
    # Orientation 6 (rotate 90° clockwise) applied to the pixels: 60x40 becomes 40x60 and
    # the blue mark of the top-left corner moves to the top-right.
    img = Image.open(io.BytesIO(_stored(photo)))
    assert (photo.width, photo.height) == img.size == (40, 60)
    r, _g, b = img.getpixel((36, 3))
    assert b > 150 and r < 100
    assert Photo.objects.get().sha256 == __import__("hashlib").sha256(_stored(photo)).hexdigest()


def test_large_photo_gets_screen_copy_and_thumbnail(personas, course):
    photo = _add(personas, course, jpeg(size=(2400, 1800), orientation=0, gps=False))
    assert Image.open(io.BytesIO(_stored(photo, "medium_key"))).size == (1600, 1200)
    assert Image.open(io.BytesIO(_stored(photo, "thumb_key"))).size == (320, 240)


@pytest.mark.parametrize(("data", "code"), [
    (b"", "photo.empty"),
    (b"%PDF-1.4 not an image", "photo.not_image"),
    (jpeg()[:200], "photo.not_image"),
    (b"GIF89a" + b"\0" * 50, "photo.not_image"),
])
def test_files_that_are_not_photographs_are_refused(personas, course, photo_storage, data,
                                                     code):
    with pytest.raises(services.OutcomeError) as exc:
        _add(personas, course, data)
    assert exc.value.code == code and exc.value.field == "photo"
    assert not Photo.objects.exists()
    assert not photo_storage.exists() or not any(photo_storage.rglob("*.jpg"))


def test_decompression_bomb_refused(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 1000)
    with pytest.raises(images.ImageRefused) as exc:
        images.process(jpeg(size=(60, 40)))
    assert exc.value.code == "photo.too_many_pixels"


def test_refused_without_photography_consent(personas, bare_course, photo_storage):
    with pytest.raises(services.OutcomeError) as exc:
        _add(personas, bare_course)
    assert exc.value.code == "consent.photography_missing"
    assert "photograph" in exc.value.message
    assert not Photo.objects.exists() and not any(photo_storage.rglob("*.jpg"))
    # On the page: the message next to the upload, nothing stored.
    c = client_for(personas.nurse)
    r = c.post(f"/outcomes/courses/{bare_course.pk}/photos/",
               {"when": "baseline", "view": "front",
                "photo": _upload(jpeg())})
    assert r.status_code == 422
    assert "No signed consent to clinical photography" in r.content.decode()
    assert not Photo.objects.exists()


def test_withdrawn_photography_consent_stops_photographs(personas, course):
    consent = Consent.objects.get(patient=course.patient, template__procedure="photography")
    consent_services.consent_withdraw(actor=actor_of(personas.physician), consent=consent,
                                      reason="patient asked")
    with pytest.raises(services.OutcomeError) as exc:
        _add(personas, course)
    assert exc.value.code == "consent.photography_withdrawn"


def _upload(data, name="p.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_served_only_to_own_clinic_clinicians_with_a_read_audit_event(personas, course):
    photo = _add(personas, course)
    url = f"/outcomes/photos/{photo.pk}/full/"
    before = AuditEvent.objects.filter(action="read", object_id=str(photo.pk)).count()
    r = client_for(personas.physician).get(url)
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert r.content == _stored(photo)
    assert "no-store" in r["Cache-Control"]
    event = AuditEvent.objects.filter(action="read", object_type="outcomes.photo",
                                      object_id=str(photo.pk)).latest("id")
    assert event.actor == personas.physician.user and event.patient_id == course.patient_id
    assert event.clinic_id == personas.clinic.pk and event.data["size"] == "full"
    # Another clinic: not found, and nothing read or audited for it.
    assert client_for(personas.other_clinic_user).get(url).status_code == 404
    # The front desk and the clinic administrator: not a clinical photograph reader.
    assert client_for(personas.front_desk).get(url).status_code == 403
    assert client_for(personas.clinic_admin).get(url).status_code == 403
    from django.test import Client

    assert Client().get(url).status_code == 302  # to the sign-in page
    assert AuditEvent.objects.filter(action="read", object_id=str(photo.pk),
                                     object_type="outcomes.photo").count() == before + 1


def test_no_bytes_without_the_audit_event(personas, course, monkeypatch):
    photo = _add(personas, course)
    opened = []
    storage = storages["photos"]
    monkeypatch.setattr(storage, "open", lambda *a, **k: opened.append(a) or None)

    def broken(*args, **kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(services, "record", broken)
    with pytest.raises(RuntimeError):
        client_for(personas.physician).get(f"/outcomes/photos/{photo.pk}/thumb/")
    assert opened == []


def test_no_public_url(personas, course, settings):
    photo = _add(personas, course)
    c = client_for(personas.physician)
    for prefix in ("/media/", settings.STATIC_URL):
        assert c.get(prefix + photo.key).status_code == 404
    assert photo.key not in c.get(f"/outcomes/courses/{course.pk}/").content.decode()


def test_upload_page_flow_and_errors_next_to_the_field(personas, course):
    c = client_for(personas.nurse)
    page = c.get(f"/outcomes/courses/{course.pk}/").content.decode()
    assert 'id="capture"' in page and "capture.js" in page and "<script>" not in page
    r = c.post(f"/outcomes/courses/{course.pk}/photos/",
               {"when": "baseline", "view": "front", "photo": _upload(b"nope")})
    assert r.status_code == 422 and 'id="photo-error"' in r.content.decode()
    r = c.post(f"/outcomes/courses/{course.pk}/photos/",
               {"when": "baseline", "view": "front", "photo": _upload(jpeg())})
    assert r.status_code == 302
    photo = Photo.objects.get()
    assert (photo.view, photo.timepoint, photo.plan_id) == ("front", "baseline", course.pk)
    page = c.get(f"/outcomes/courses/{course.pk}/").content.decode()
    assert f'data-baseline-for="front" data-src="/outcomes/photos/{photo.pk}/medium/"' in page
    r = c.post(f"/outcomes/courses/{course.pk}/photos/",
               {"when": "someday", "view": "front", "photo": _upload(jpeg())})
    assert r.status_code == 422 and Photo.objects.count() == 1
    assert client_for(personas.front_desk).post(
        f"/outcomes/courses/{course.pk}/photos/", {"when": "baseline", "view": "front",
                                                   "photo": _upload(jpeg())}).status_code == 403
    assert client_for(personas.other_clinic_user).get(
        f"/outcomes/courses/{course.pk}/").status_code == 404
