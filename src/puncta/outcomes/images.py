"""Receiving a photograph: check it is an image of a sane size, turn it upright, drop
every piece of metadata (EXIF with GPS, XMP, comments; only the colour profile stays),
re-encode it, and make a screen-size copy and a thumbnail.

Re-encoding from the decoded pixels, with the image's ``info`` emptied, is what guarantees
the metadata is gone: nothing of the uploaded file's bytes is kept.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 30 * 1024 * 1024
MAX_PIXELS = 50_000_000  # 50 MP: more than any phone; a decompression bomb is refused
FORMATS = ("JPEG", "PNG", "WEBP")  # the JPEG opener also reads phones' MPO files
MEDIUM_EDGE = 1600
THUMB_EDGE = 320
QUALITY = 88


class ImageRefused(Exception):
    def __init__(self, code: str, message: Any) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message  # lazy: rendered in the language of whoever reads it


@dataclass(frozen=True)
class Processed:
    full: bytes
    medium: bytes
    thumb: bytes
    width: int
    height: int
    sha256: str


def _encode(img: Image.Image, icc: bytes | None) -> bytes:
    out = io.BytesIO()
    params: dict[str, object] = {"quality": QUALITY, "optimize": False}
    if icc:
        params["icc_profile"] = icc
    img.save(out, "JPEG", **params)
    return out.getvalue()


def _scaled(img: Image.Image, edge: int) -> Image.Image:
    copy = img.copy()
    # reducing_gap=1.0: a fast integer box reduction first, then Lanczos on what is left
    # (from 12 MP straight to 1600 px, Lanczos alone costs half a second).
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS, reducing_gap=1.0)
    return copy


def process(data: bytes) -> Processed:
    if not data:
        raise ImageRefused("photo.empty", _("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImageRefused("photo.too_large", _("The file is larger than 30 MB."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data), formats=FORMATS)
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageRefused("photo.too_many_pixels",
                                   _("The image has more than 50 megapixels."))
            probe.verify()  # a truncated or corrupt file fails here
            img = Image.open(io.BytesIO(data), formats=FORMATS)
            img.load()
    except ImageRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("photo.not_image",
                           _("The file is not a photograph Puncta can read (JPEG, PNG or "
                              "WebP).")) from None
    icc = img.info.get("icc_profile")
    clean = ImageOps.exif_transpose(img)  # a new image, the orientation applied
    if clean.mode != "RGB":
        clean = clean.convert("RGB")
    # What the encoder could carry over from the original (EXIF, XMP, comment, ICC) lives
    # in ``info``: emptied, so only the pixels (and the colour profile, passed on purpose)
    # are written.
    clean.info = {}
    full = _encode(clean, icc if isinstance(icc, bytes) else None)
    medium_img = _scaled(clean, MEDIUM_EDGE)
    medium = _encode(medium_img, None)
    thumb = _encode(_scaled(medium_img, THUMB_EDGE), None)
    return Processed(full=full, medium=medium, thumb=thumb, width=clean.width,
                     height=clean.height, sha256=hashlib.sha256(full).hexdigest())
