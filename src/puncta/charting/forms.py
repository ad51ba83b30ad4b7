"""Reading chart input (a web form's POST or the API's JSON) into the chart's content.

Nothing is guessed: a depth typed ``1,5`` or ``15`` is an error next to its field (the
plan form's ``parse_depth``), and the field keeps its last valid value in the draft.
Errors are keyed by the id of the field's block on the page (``zone-cheek``,
``numbing-amount_g``, ...), the same ids findings are shown against.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from puncta import rules
from puncta.plans.forms import delocalize, parse_depth, zone_rows

PATTERNS = [("horizontal", _lazy("Horizontal")), ("vertical", _lazy("Vertical")),
            ("diagonal", _lazy("Diagonal"))]
ENDPOINTS = [("erythema", _lazy("Erythema")), ("pinpoint_bleeding", _lazy("Pinpoint bleeding")),
             ("other", _lazy("Other"))]
TODAY_QUESTIONS = [
    # (key, rules fact it becomes, label)
    ("cold_sore", "active_herpes", _lazy("Cold sore (active herpes) today")),
    ("infection", "active_infection", _lazy("Skin or other infection today")),
    ("pregnancy", "pregnant", _lazy("Pregnant or possibly pregnant")),
    # Recorded without a zone, so the rules refuse every treated zone (conservative).
    ("sunburn", "sunburn", _lazy("Sunburn on the area to be treated")),
    ("irritated", "open_wound",
     _lazy("Irritated, broken or inflamed skin on the area to be treated")),
]
MAX_TEXT = 2000
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

EMPTY: dict[str, Any] = {
    "today": {"answered": False, "cold_sore": False, "infection": False, "pregnancy": False,
              "sunburn": False, "irritated": False, "new_medication": "", "medication_note": ""},
    "photos_taken": False,
    "cleansing": "",
    "numbing": {"used": False, "product": "", "concentration": "", "amount_g": "",
                "area_cm2": "", "applied_at": "", "removed_at": "", "occluded": False},
    "zones": [],
    "topicals": "",
    "duration_min": None,
    "notes": "",
    # Why the session went ahead without a consent the chart needs (numbing, photographs).
    "consent_exception": "",
}


def empty_content() -> dict[str, Any]:
    return copy.deepcopy(EMPTY)


def _fr() -> bool:
    return (get_language() or "en").startswith("fr")


def medication_choices() -> list[tuple[str, str]]:
    fr = _fr()
    return [(m["code"], m["fr"] if fr else m["en"]) for m in rules.codes()["medications"]]


def numbing_choices() -> list[tuple[str, str]]:
    fr = _fr()
    return [(p["code"], p["fr"] if fr else p["en"]) for p in rules.codes()["numbing_products"]]


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    return str(v).strip().lower() in {"1", "on", "true", "yes"}


def _text(v: Any, key: str, errors: dict[str, str]) -> str:
    text = "" if v is None else str(v).strip()
    if len(text) > MAX_TEXT:
        errors[key] = _("Please keep this under %(n)s characters.") % {"n": MAX_TEXT}
        text = text[:MAX_TEXT]
    return text


def _positive(raw: Any, key: str, errors: dict[str, str], *, unit: str, maximum: float
              ) -> str | None:
    """A positive number with a point, returned as its text (never converted)."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return ""
    if "," in text:
        errors[key] = _("Use a point for decimals, e.g. 1.5.")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[key] = _("Enter a number in %(unit)s.") % {"unit": unit}
        return None
    if not value.is_finite() or value <= 0 or value > Decimal(str(maximum)):
        errors[key] = _("Enter a number above 0 and at most %(max)s %(unit)s.") % {
            "max": maximum, "unit": unit}
        return None
    return text


def from_post(post: Mapping[str, Any]) -> dict[str, Any]:
    """The web form's fields as the structured input ``clean`` reads (the API's shape)."""
    zones = []
    for row in zone_rows():
        code = row["code"]
        depth = str(post.get(f"depth-{code}", "")).strip()
        if not depth:
            continue
        side = post.get(f"side-{code}", "")
        zones.append({
            "zone": code + {"left": "_left", "right": "_right"}.get(side, ""),
            "depth_mm": delocalize(depth),
            "passes": post.get(f"passes-{code}", ""),
            "pattern": post.get(f"pattern-{code}", ""),
            "speed": post.get(f"speed-{code}", ""),
            "endpoint": post.get(f"endpoint-{code}", ""),
            "endpoint_other": post.get(f"endpoint_other-{code}", ""),
        })
    return {
        "practitioner_id": post.get("practitioner", ""),
        "supervisor_id": post.get("supervisor", ""),
        "device_id": post.get("device", ""),
        "lot_number": post.get("lot_number", ""),
        "today": {"answered": _bool(post.get("today_answered")),
                  **{k: _bool(post.get(f"today_{k}")) for k, _f, _l in TODAY_QUESTIONS},
                  "new_medication": post.get("today_new_medication", ""),
                  "medication_note": post.get("today_medication_note", "")},
        "photos_taken": _bool(post.get("photos_taken")),
        "cleansing": post.get("cleansing", ""),
        "numbing": {"used": _bool(post.get("numbing_used")),
                    **{k: post.get(f"numbing_{k}", "") for k in (
                        "product", "concentration", "applied_at", "removed_at")},
                    **{k: delocalize(post.get(f"numbing_{k}", "")) for k in (
                        "amount_g", "area_cm2")},
                    "occluded": _bool(post.get("numbing_occluded"))},
        "zones": zones,
        "topicals": post.get("topicals", ""),
        "duration_min": post.get("duration_min", ""),
        "notes": post.get("notes", ""),
        "consent_exception": post.get("consent_exception", ""),
    }


def base_zone(code: str) -> str:
    for suffix in ("_left", "_right"):
        if code.endswith(suffix):
            return code[: -len(suffix)]
    return code


def clean(raw: Mapping[str, Any], previous: Mapping[str, Any] | None = None
          ) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """(content, references, errors). A field in error keeps its ``previous`` value."""
    prev = copy.deepcopy(dict(previous)) if previous else empty_content()
    errors: dict[str, str] = {}
    out = empty_content()

    today_raw = raw.get("today") or {}
    today = out["today"]
    today["answered"] = _bool(today_raw.get("answered", False))
    for key, _fact, _label in TODAY_QUESTIONS:
        today[key] = _bool(today_raw.get(key, False))
    med = str(today_raw.get("new_medication") or "").strip()
    if med and med not in {"other", *(c for c, _l in medication_choices())}:
        errors["today"] = _("Choose a medication from the list, or 'other' and describe it.")
        med = prev["today"].get("new_medication", "")
    today["new_medication"] = med
    today["medication_note"] = _text(today_raw.get("medication_note"), "today", errors)

    out["photos_taken"] = _bool(raw.get("photos_taken", False))
    out["cleansing"] = _text(raw.get("cleansing"), "cleansing", errors)
    out["topicals"] = _text(raw.get("topicals"), "topicals", errors)
    out["notes"] = _text(raw.get("notes"), "notes", errors)
    out["consent_exception"] = _text(raw.get("consent_exception"), "consent_exception",
                                     errors)

    dur = raw.get("duration_min")
    if dur in (None, ""):
        out["duration_min"] = None
    else:
        try:
            minutes = int(str(dur).strip())
        except ValueError:
            minutes = -1
        if not 1 <= minutes <= 240:
            errors["duration"] = _("Duration is a whole number of minutes from 1 to 240.")
            out["duration_min"] = prev.get("duration_min")
        else:
            out["duration_min"] = minutes

    n_raw = raw.get("numbing") or {}
    n = out["numbing"]
    n["used"] = _bool(n_raw.get("used", False))
    product = str(n_raw.get("product") or "").strip()
    if product and product not in {c for c, _l in numbing_choices()}:
        errors["numbing-product"] = _("Choose a numbing product from the list.")
        product = prev["numbing"].get("product", "")
    n["product"] = product
    n["concentration"] = _text(n_raw.get("concentration"), "numbing-concentration", errors)[:100]
    n["occluded"] = _bool(n_raw.get("occluded", False))
    for key, unit, maximum in (("amount_g", "g", 500), ("area_cm2", "cm²", 20000)):
        value = _positive(n_raw.get(key), f"numbing-{key}", errors, unit=unit, maximum=maximum)
        n[key] = prev["numbing"].get(key, "") if value is None else value
    for key in ("applied_at", "removed_at"):
        text = str(n_raw.get(key) or "").strip()[:5]
        if text and not TIME_RE.match(text):
            errors[f"numbing-{key}"] = _("Enter a time as HH:MM, e.g. 09:40.")
            text = prev["numbing"].get(key, "")
        n[key] = text
    if (n["applied_at"] and n["removed_at"] and n["removed_at"] < n["applied_at"]
            and "numbing-removed_at" not in errors):
        errors["numbing-removed_at"] = _("The cream cannot be removed before it was applied.")

    known = {r["code"] for r in zone_rows()}
    prev_zones = {base_zone(z["zone"]): z for z in prev.get("zones", [])}
    seen: set[str] = set()
    zones_raw = raw.get("zones") or []
    if not isinstance(zones_raw, list):
        errors["zones"] = _("Zones must be a list.")
        zones_raw = []
    for item in zones_raw:
        if not isinstance(item, Mapping):
            errors["zones"] = _("Each zone must be an object.")
            continue
        code = str(item.get("zone") or "").strip()
        base = base_zone(code)
        key = f"zone-{base}"
        if base not in known:
            errors["zones"] = _("Unknown zone %(z)s.") % {"z": code or "—"}
            continue
        if base in seen:
            errors[key] = _("This zone is listed twice.")
            continue
        seen.add(base)
        raw_depth = item.get("depth_mm")
        if isinstance(raw_depth, bool):
            raw_depth = ""
        depth, error = parse_depth("" if raw_depth is None else str(raw_depth))
        row_errors = []
        if error or depth is None:
            row_errors.append(error or _("Enter the depth in millimetres, e.g. 0.5."))
        passes_raw = str(item.get("passes") if item.get("passes") is not None else "").strip()
        passes: int | None = None
        if passes_raw:
            try:
                passes = int(passes_raw)
            except ValueError:
                passes = -1
            if not 1 <= passes <= 20:
                row_errors.append(_("Passes are a whole number from 1 to 20."))
        pattern = str(item.get("pattern") or "").strip()
        if pattern and pattern not in {c for c, _l in PATTERNS}:
            row_errors.append(_("Choose a pattern: horizontal, vertical or diagonal."))
        endpoint = str(item.get("endpoint") or "").strip()
        if endpoint and endpoint not in {c for c, _l in ENDPOINTS}:
            row_errors.append(_("Choose an endpoint: erythema, pinpoint bleeding or other."))
        speed = str(item.get("speed") or "").strip()[:20]
        if row_errors:
            errors[key] = " ".join(str(e) for e in row_errors)
            if base in prev_zones:
                out["zones"].append(prev_zones[base])
            continue
        out["zones"].append({
            "zone": code, "depth_mm": f"{depth:.2f}", "passes": passes, "pattern": pattern,
            "speed": speed, "endpoint": endpoint,
            "endpoint_other": str(item.get("endpoint_other") or "").strip()[:200]
            if endpoint == "other" else "",
        })

    refs = {k: _int_or_none(raw.get(k)) for k in ("practitioner_id", "supervisor_id",
                                                   "device_id")}
    refs["lot_number"] = str(raw.get("lot_number") or "").strip()[:64]
    return out, refs, errors


def _int_or_none(v: Any) -> int | None:
    if v in (None, "") or isinstance(v, bool):
        return None
    try:
        return int(str(v).strip())
    except ValueError:
        return -1  # an id that exists nowhere: reported as "not found"
