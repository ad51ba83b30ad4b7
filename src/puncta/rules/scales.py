"""Validated outcome scales, the outcome schedule and photo protocols, from data
(``data/scales.toml``, ``data/outcomes.toml``).

``score(code, answers)`` turns a set of item answers into a total, refusing any answer that
is missing, unknown or out of range with a code and a message in English and French. Pure
Python: no Django, no clock (dates are passed in).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from .data import rules_data

SCALE_FILES = ("scales.toml", "outcomes.toml")
RATERS = ("clinician", "patient")


def _read(name: str) -> bytes:
    return resources.files("puncta.rules").joinpath("data", name).read_bytes()


def _version() -> str:
    digest = hashlib.sha256(b"puncta.rules.scales 1.0")
    for name in SCALE_FILES:
        digest.update(name.encode())
        digest.update(_read(name))
    return digest.hexdigest()[:12]


SCALES_VERSION = _version()


@dataclass(frozen=True, slots=True)
class Anchor:
    value: int
    en: str
    fr: str


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    en: str
    fr: str
    min: int
    max: int
    points: int
    in_total: bool
    anchors: tuple[Anchor, ...]

    def anchor(self, value: int) -> Anchor | None:
        return next((a for a in self.anchors if a.value == value), None)


@dataclass(frozen=True, slots=True)
class Band:
    min: int
    max: int
    en: str
    fr: str


@dataclass(frozen=True, slots=True)
class Scale:
    code: str
    en: str
    fr: str
    rater: str  # clinician | patient
    indications: tuple[str, ...]
    kind: str  # status | change
    better: str  # lower | higher
    total: str  # single | sum
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    responder_min_change: int | None
    responder_max: int | None
    source: str
    uncertain: bool
    note: str

    @property
    def minimum(self) -> int:
        return sum(i.min * i.points for i in self.items if i.in_total)

    @property
    def maximum(self) -> int:
        return sum(i.max * i.points for i in self.items if i.in_total)

    def band(self, total: int) -> Band | None:
        return next((b for b in self.bands if b.min <= total <= b.max), None)


@dataclass(frozen=True, slots=True)
class ScaleError:
    code: str  # scale.unknown | scale.item_missing | scale.item_unknown | ...
    item: str
    en: str
    fr: str


class ScaleInputError(ValueError):
    """Answers that cannot be scored; ``errors`` names each item and why."""

    def __init__(self, errors: list[ScaleError]) -> None:
        super().__init__("; ".join(f"{e.item or 'scale'}: {e.en}" for e in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class ScaleScore:
    scale: Scale
    answers: dict[str, int]
    total: int
    band: Band | None
    version: str = field(default=SCALES_VERSION)


def _anchors(rows: Any) -> tuple[Anchor, ...]:
    return tuple(Anchor(int(r["value"]), str(r["en"]), str(r["fr"])) for r in rows)


def _item(row: dict[str, Any], shared: dict[str, tuple[Anchor, ...]]) -> Item:
    raw = row.get("anchors", ())
    anchors = shared[raw] if isinstance(raw, str) else _anchors(raw)
    values = [a.value for a in anchors]
    lo = int(row.get("min", min(values)))
    hi = int(row.get("max", max(values)))
    if lo > hi or any(not lo <= v <= hi for v in values):
        raise ValueError(f"scales.toml: item {row['code']} has anchors outside {lo}-{hi}")
    return Item(code=str(row["code"]), en=str(row["en"]), fr=str(row["fr"]), min=lo, max=hi,
                points=int(row.get("points", 1)), in_total=bool(row.get("in_total", True)),
                anchors=anchors)


def _scale(code: str, row: dict[str, Any]) -> Scale:
    shared = {name.removesuffix("_anchors"): _anchors(row[name]["values"])
              for name in row if name.endswith("_anchors")}
    scale = Scale(
        code=code, en=str(row["en"]), fr=str(row["fr"]), rater=str(row["rater"]),
        indications=tuple(str(i) for i in row["indications"]), kind=str(row["kind"]),
        better=str(row["better"]), total=str(row["total"]),
        items=tuple(_item(i, shared) for i in row["items"]),
        bands=tuple(Band(int(b["min"]), int(b["max"]), str(b["en"]), str(b["fr"]))
                    for b in row.get("bands", ())),
        responder_min_change=(int(row["responder_min_change"])
                              if "responder_min_change" in row else None),
        responder_max=int(row["responder_max"]) if "responder_max" in row else None,
        source=str(row["source"]), uncertain=bool(row.get("uncertain", False)),
        note=str(row.get("note", "")),
    )
    if scale.rater not in RATERS or scale.kind not in ("status", "change") or (
            scale.better not in ("lower", "higher")) or scale.total not in ("single", "sum"):
        raise ValueError(f"scales.toml: scale {code} has an unknown rater/kind/better/total")
    if scale.total == "single" and len(scale.items) != 1:
        raise ValueError(f"scales.toml: scale {code} is 'single' but has several items")
    if not scale.source.strip():
        raise ValueError(f"scales.toml: scale {code} has no source")
    known = set(rules_data().protocols)
    if unknown := set(scale.indications) - known:
        raise ValueError(f"scales.toml: scale {code} names unknown indications {unknown}")
    return scale


@cache
def _scales_data() -> dict[str, Any]:
    return tomllib.loads(_read("scales.toml").decode())


@cache
def scales() -> dict[str, Scale]:
    """Every scale by code, in the order of the data file."""
    return {code: _scale(code, row) for code, row in _scales_data()["scales"].items()}


def scale_get(code: str) -> Scale:
    found = scales().get(code)
    if found is None:
        raise ScaleInputError([ScaleError("scale.unknown", "", f"unknown scale {code!r}",
                                          f"échelle inconnue {code!r}")])
    return found


def scales_for(indication: str, rater: str | None = None) -> list[Scale]:
    """The scales that fit an indication (optionally only those one rater fills in)."""
    return [s for s in scales().values() if indication in s.indications
            and (rater is None or s.rater == rater)]


def primary_scale(indication: str) -> Scale | None:
    """The clinician-rated status scale the clinic report measures change with."""
    code = _scales_data()["primary"].get(indication)
    return scales()[code] if isinstance(code, str) else None


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def validate(code: str, answers: Mapping[str, object]) -> list[ScaleError]:
    """Every problem with the answers at once (an empty list: they can be scored)."""
    try:
        sc = scale_get(code)
    except ScaleInputError as exc:
        return exc.errors
    errors = []
    codes = {i.code for i in sc.items}
    for key in answers:
        if key not in codes:
            errors.append(ScaleError("scale.item_unknown", key, f"{key!r} is not an item of "
                                     f"{sc.en}", f"{key!r} n'est pas un item de : {sc.fr}"))
    for item in sc.items:
        if item.code not in answers or answers[item.code] in (None, ""):
            errors.append(ScaleError("scale.item_missing", item.code, "Answer this item.",
                                     "Répondez à cet item."))
            continue
        value = _as_int(answers[item.code])
        if value is None:
            errors.append(ScaleError("scale.not_a_number", item.code,
                                     "The answer must be a whole number.",
                                     "La réponse doit être un nombre entier."))
        elif not item.min <= value <= item.max:
            errors.append(ScaleError(
                "scale.out_of_range", item.code,
                f"The answer must be between {item.min} and {item.max}.",
                f"La réponse doit être comprise entre {item.min} et {item.max}."))
    return errors


def score(code: str, answers: Mapping[str, object]) -> ScaleScore:
    """The total of a complete, valid set of answers; ``ScaleInputError`` otherwise."""
    errors = validate(code, answers)
    if errors:
        raise ScaleInputError(errors)
    sc = scales()[code]
    values = {i.code: _as_int(answers[i.code]) or 0 for i in sc.items}
    total = sum(values[i.code] * i.points for i in sc.items if i.in_total)
    return ScaleScore(scale=sc, answers=values, total=total, band=sc.band(total))


def improvement(sc: Scale, baseline: int, current: int) -> int:
    """How much better the current total is than the baseline (negative: worse)."""
    return baseline - current if sc.better == "lower" else current - baseline


def is_responder(sc: Scale, current: int, baseline: int | None = None) -> bool | None:
    """Whether a result counts as a response; None when it cannot be told (no baseline
    for a status scale, or the scale defines no response)."""
    if sc.kind == "change":
        return None if sc.responder_max is None else current <= sc.responder_max
    if baseline is None or sc.responder_min_change is None or sc.responder_min_change <= 0:
        return None
    return improvement(sc, baseline, current) >= sc.responder_min_change


# --- The outcome schedule -----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Schedule:
    follow_up_months: tuple[int, ...]
    link_days: int
    remind_days_before: int
    source: str
    uncertain: bool
    note: str


@cache
def _outcomes_data() -> dict[str, Any]:
    return tomllib.loads(_read("outcomes.toml").decode())


@cache
def outcome_schedule() -> Schedule:
    row = _outcomes_data()["schedule"]
    return Schedule(follow_up_months=tuple(int(m) for m in row["follow_up_months"]),
                    link_days=int(row["link_days"]),
                    remind_days_before=int(row["remind_days_before"]),
                    source=str(row["source"]), uncertain=bool(row.get("uncertain", False)),
                    note=str(row.get("note", "")))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_dates(last_session: dt.date) -> list[tuple[int, dt.date]]:
    """(months, due date) of each follow-up after the course's last session."""
    return [(m, add_months(last_session, m)) for m in outcome_schedule().follow_up_months]


# --- Photo protocols ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PhotoView:
    code: str
    en: str
    fr: str
    guide_en: str
    guide_fr: str


@dataclass(frozen=True, slots=True)
class PhotoProtocol:
    region: str
    views: tuple[PhotoView, ...]
    distance_en: str
    distance_fr: str
    lighting_en: str
    lighting_fr: str
    extra_en: str
    extra_fr: str
    source: str


@cache
def photo_views() -> dict[str, PhotoView]:
    return {code: PhotoView(code, str(r["en"]), str(r["fr"]), str(r["guide_en"]),
                            str(r["guide_fr"]))
            for code, r in _outcomes_data()["views"].items()}


def photo_protocol(indication: str, zone: str = "") -> PhotoProtocol:
    """The views and guidance for photographing a zone (its region: face, neck, body;
    the face when no zone is given) for an indication."""
    data = _outcomes_data()
    zones = rules_data().zones
    base = zone
    for side in ("_left", "_right"):
        base = base.removesuffix(side)
    region = zones[base].region if base in zones else "face"
    row = data["protocols"].get(region, data["protocols"]["face"])
    extra = data["indication_lighting"].get(indication, {})
    views = photo_views()
    return PhotoProtocol(region=region, views=tuple(views[v] for v in row["views"]),
                         distance_en=str(row["distance_en"]),
                         distance_fr=str(row["distance_fr"]),
                         lighting_en=str(row["lighting_en"]),
                         lighting_fr=str(row["lighting_fr"]),
                         extra_en=str(extra.get("en", "")), extra_fr=str(extra.get("fr", "")),
                         source=str(row["source"]))
