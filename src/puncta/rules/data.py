"""Load the TOML data files once into typed, read-only structures.

Every row carries its `source`; rows the reference marks unverified or derived say so.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

ENGINE_VERSION = "puncta.rules 1.0"

DATA_FILES = (
    "aftercare.toml",
    "checkin.toml",
    "contraindications.toml",
    "courses.toml",
    "density.toml",
    "depth.toml",
    "downtime.toml",
    "jurisdictions.toml",
    "messages.toml",
    "numbing.toml",
    "precare.toml",
    "roles.toml",
    "settings.toml",
    "thickness.toml",
    "zones.toml",
)


def _read_bytes(name: str) -> bytes:
    return resources.files("puncta.rules").joinpath("data", name).read_bytes()


def _compute_version() -> str:
    digest = hashlib.sha256(ENGINE_VERSION.encode())
    for name in DATA_FILES:
        digest.update(name.encode())
        digest.update(_read_bytes(name))
    return digest.hexdigest()[:12]


RULES_VERSION = _compute_version()


@dataclass(frozen=True, slots=True)
class Thickness:
    epidermis_mm: float
    dermis_mm: float
    source: str


@dataclass(frozen=True, slots=True)
class ZoneInfo:
    code: str
    en: str
    fr: str
    region: str
    thickness: Thickness
    orbital_rim: bool
    source: str


@dataclass(frozen=True, slots=True)
class Range:
    min_mm: float
    max_mm: float
    source: str


@dataclass(frozen=True, slots=True)
class Contra:
    code: str
    category: str  # condition | medication | procedure
    kind: str  # absolute | relative | numbing_only
    scope: str  # area | systemic
    numbing: bool
    en: str
    fr: str
    source: str
    within_days: int | None
    within_months: int | None
    active_within_days: int | None
    washout_setting: str | None


@dataclass(frozen=True, slots=True)
class Protocol:
    indication: str
    en: str
    fr: str
    medical: bool
    sessions: dict[str, int]
    min_interval_days: int
    max_interval_days: int
    target_interval_days: int
    maintenance_min: int
    maintenance_max: int
    source: str
    note: str
    first_window_days: int = 28


@dataclass(frozen=True, slots=True)
class DowntimeBand:
    up_to_mm: float
    min_days: int
    max_days: int
    source: str


@dataclass(frozen=True, slots=True)
class NumbingProduct:
    code: str
    en: str
    fr: str
    grams_per_10cm2: float
    adult_max_g: float
    adult_max_area_cm2: float
    source: str


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str
    authority: str
    min_device_class: int
    source: str
    below_dermis_controlled: bool
    note_en: str
    note_fr: str
    label_min_age: int | None
    label_min_age_source: str
    neck_phototypes: tuple[int, ...]
    neck_phototypes_source: str
    # Consent of a minor to an elective cosmetic procedure, and legal adulthood.
    en: str
    fr: str
    consent_age: int
    consent_age_source: str
    consent_age_note_en: str
    consent_age_note_fr: str
    guardian_roles: tuple[str, ...]
    minor_own_consent_age: int | None
    court_authorization_below: int | None
    court_authorization_note_en: str
    court_authorization_note_fr: str
    court_authorization_source: str
    age_of_majority: int
    age_of_majority_source: str


@dataclass(frozen=True, slots=True)
class GuardianRole:
    code: str
    en: str
    fr: str


@dataclass(frozen=True, slots=True)
class CheckInData:
    after_hours: int
    subject_en: str
    subject_fr: str
    body_en: str
    body_fr: str
    body_general_en: str
    body_general_fr: str
    source: str


@dataclass(frozen=True, slots=True)
class Role:
    code: str
    en: str
    fr: str
    clinical: bool
    physician: bool
    source: str


@dataclass(frozen=True, slots=True)
class Message:
    code: str
    rule: str
    severity: str
    en: str
    fr: str
    source: str


@dataclass(frozen=True, slots=True)
class SettingBound:
    default: int
    min: int
    max: int
    source: str


@dataclass(frozen=True, slots=True)
class RulesData:
    zones: dict[str, ZoneInfo]
    usual: dict[tuple[str, str], Range]
    ceilings: dict[str, Range]
    contras: dict[str, Contra]
    protocols: dict[str, Protocol]
    downtime: tuple[DowntimeBand, ...]
    aftercare: tuple[dict[str, Any], ...]
    precare: tuple[dict[str, Any], ...]
    numbing_products: dict[str, NumbingProduct]
    occlusion_large_area_cm2: float
    occlusion_source: str
    dose_tolerance: float
    dose_tolerance_source: str
    jurisdictions: dict[str, Jurisdiction]
    guardian_roles: dict[str, GuardianRole]
    checkin: CheckInData
    roles: dict[str, Role]
    messages: dict[str, Message]
    settings: dict[str, SettingBound]
    density_min: float
    density_max: float
    density_source: str


def _load(name: str) -> dict[str, Any]:
    return tomllib.loads(_read_bytes(name).decode("utf-8"))


def _source(row: dict[str, Any], where: str) -> str:
    src = row.get("source")
    if not isinstance(src, str) or not src:
        raise RuntimeError(f"data row without a source: {where}")
    flags = []
    if row.get("derived"):
        flags.append("derived")
    note = row.get("note", "")
    if isinstance(note, str) and "unverified" in note.lower():
        flags.append("unverified")
    return f"{src} [{', '.join(flags)}]" if flags else src


def _flagged(src: str, row: dict[str, Any], prefix: str) -> str:
    """A secondary source of a row (e.g. `consent_age_source`) with its own flags."""
    flags = [f for f in ("derived", "unverified") if row.get(f"{prefix}_{f}")]
    return f"{src} [{', '.join(flags)}]" if flags else src


def _age(merged: dict[str, Any], key: str, code: str) -> int:
    value = merged.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 25:
        raise RuntimeError(f"jurisdictions.{code}: {key} must be an age in years")
    return value


def _text(merged: dict[str, Any], key: str, code: str) -> str:
    value = merged.get(key)
    if not isinstance(value, str) or not value:
        raise RuntimeError(f"jurisdictions.{code}: {key} is required")
    return value


def _jurisdictions(
    raw: dict[str, Any], roles: dict[str, GuardianRole]
) -> dict[str, Jurisdiction]:
    out: dict[str, Jurisdiction] = {}
    for code, row in raw.items():
        # "CA-ON" inherits from "CA": only what the sub-pack states overrides.
        parent: dict[str, Any] = raw.get(code.split("-")[0], {}) if "-" in code else {}
        merged = {**parent, **row}
        sources = [_source(row, f"jurisdictions.{code}")]
        if parent:
            sources.insert(0, _source(parent, f"jurisdictions.{code}"))
        guardians = tuple(str(r) for r in merged.get("guardian_roles", ()))
        if not guardians or any(r not in roles for r in guardians):
            raise RuntimeError(f"jurisdictions.{code}: guardian_roles must name [guardian_roles]")
        own = (
            None
            if merged.get("minor_own_consent_age") is None
            else _age(merged, "minor_own_consent_age", code)
        )
        consent_age = _age(merged, "consent_age", code)
        court = (
            None
            if merged.get("court_authorization_below") is None
            else _age(merged, "court_authorization_below", code)
        )
        majority = _age(merged, "age_of_majority", code)
        out[code] = Jurisdiction(
            code=code,
            authority=str(merged["authority"]),
            min_device_class=int(merged["min_device_class"]),
            source="; ".join(sources),
            below_dermis_controlled=bool(merged.get("below_dermis_controlled", False)),
            note_en=str(merged.get("note_en", "")),
            note_fr=str(merged.get("note_fr", "")),
            label_min_age=merged.get("label_min_age"),
            label_min_age_source=str(merged.get("label_min_age_source", "")),
            neck_phototypes=tuple(int(p) for p in merged.get("neck_phototypes", ())),
            neck_phototypes_source=str(merged.get("neck_phototypes_source", "")),
            en=_text(merged, "en", code),
            fr=_text(merged, "fr", code),
            consent_age=consent_age,
            # The flags belong to whichever pack stated the value.
            consent_age_source=_flagged(
                _text(merged, "consent_age_source", code),
                row if "consent_age_source" in row else parent,
                "consent_age",
            ),
            consent_age_note_en=_text(merged, "consent_age_note_en", code),
            consent_age_note_fr=_text(merged, "consent_age_note_fr", code),
            guardian_roles=guardians,
            minor_own_consent_age=own,
            court_authorization_below=court,
            court_authorization_note_en=str(merged.get("court_authorization_note_en", "")),
            court_authorization_note_fr=str(merged.get("court_authorization_note_fr", "")),
            court_authorization_source=str(merged.get("court_authorization_source", "")),
            age_of_majority=majority,
            age_of_majority_source=_flagged(
                _text(merged, "age_of_majority_source", code),
                row if "age_of_majority_source" in row else parent,
                "age_of_majority",
            ),
        )
    return out


def _checkin(raw: dict[str, Any]) -> CheckInData:
    row = raw["checkin"]
    return CheckInData(
        after_hours=int(row["after_hours"]),
        subject_en=str(row["subject_en"]),
        subject_fr=str(row["subject_fr"]),
        body_en=str(row["body_en"]),
        body_fr=str(row["body_fr"]),
        body_general_en=str(row["body_general_en"]),
        body_general_fr=str(row["body_general_fr"]),
        source=_source(row, "checkin"),
    )


@cache
def rules_data() -> RulesData:
    thick = {
        k: Thickness(float(v["epidermis_mm"]), float(v["dermis_mm"]), _source(v, k))
        for k, v in _load("thickness.toml")["sites"].items()
    }
    zones = {
        code: ZoneInfo(
            code=code,
            en=row["en"],
            fr=row["fr"],
            region=row["region"],
            thickness=thick[row["thickness"]],
            orbital_rim=bool(row.get("orbital_rim", False)),
            source=_source(row, f"zones.{code}"),
        )
        for code, row in _load("zones.toml")["zones"].items()
    }
    depth = _load("depth.toml")
    usual = {
        (r["zone"], r["indication"]): Range(
            float(r["min_mm"]), float(r["max_mm"]), _source(r, f"usual.{r['zone']}")
        )
        for r in depth["usual"]
    }
    ceilings = {
        r["zone"]: Range(0.0, float(r["max_mm"]), _source(r, f"ceiling.{r['zone']}"))
        for r in depth["ceiling"]
    }
    contras: dict[str, Contra] = {}
    ci = _load("contraindications.toml")
    for category in ("condition", "medication", "procedure"):
        for r in ci[category]:
            code = r["code"]
            if code in contras:
                raise RuntimeError(f"duplicate contraindication code {code}")
            contras[code] = Contra(
                code=code,
                category=category,
                kind=r["kind"],
                scope=r.get("scope", "systemic"),
                numbing=bool(r.get("numbing", False)),
                en=r["en"],
                fr=r["fr"],
                source=_source(r, code),
                within_days=r.get("within_days"),
                within_months=r.get("within_months"),
                active_within_days=r.get("active_within_days"),
                washout_setting=r.get("washout_setting"),
            )
    courses = _load("courses.toml")
    d = courses["defaults"]
    protocols = {
        ind: Protocol(
            indication=ind,
            en=r["en"],
            fr=r["fr"],
            medical=bool(r["medical"]),
            sessions={k: int(v) for k, v in r["sessions"].items()},
            min_interval_days=int(r.get("min_interval_days", d["min_interval_days"])),
            max_interval_days=int(r.get("max_interval_days", d["max_interval_days"])),
            target_interval_days=int(r.get("target_interval_days", d["target_interval_days"])),
            maintenance_min=int(d["maintenance_per_year_min"]),
            maintenance_max=int(d["maintenance_per_year_max"]),
            first_window_days=int(d.get("first_session_window_days", 28)),
            source=f"{_source(r, ind)}; {_source(d, 'defaults')}",
            note=str(r.get("note", "")),
        )
        for ind, r in courses["indications"].items()
    }
    bands = tuple(
        sorted(
            (
                DowntimeBand(
                    float(b["up_to_mm"]),
                    int(b["min_days"]),
                    int(b["max_days"]),
                    _source(b, "downtime"),
                )
                for b in _load("downtime.toml")["band"]
            ),
            key=lambda b: b.up_to_mm,
        )
    )
    aftercare = tuple(
        {**r, "source": _source(r, r["code"])} for r in _load("aftercare.toml")["item"]
    )
    numbing = _load("numbing.toml")
    products = {
        code: NumbingProduct(
            code=code,
            en=r["en"],
            fr=r["fr"],
            grams_per_10cm2=float(r["grams_per_10cm2"]),
            adult_max_g=float(r["adult_max_g"]),
            adult_max_area_cm2=float(r["adult_max_area_cm2"]),
            source=_source(r, code),
        )
        for code, r in numbing["products"].items()
    }
    roles = {
        code: Role(
            code, r["en"], r["fr"], bool(r["clinical"]), bool(r["physician"]), _source(r, code)
        )
        for code, r in _load("roles.toml")["roles"].items()
    }
    messages = {
        code: Message(code, r["rule"], r["severity"], r["en"], r["fr"], _source(r, code))
        for code, r in _load("messages.toml")["codes"].items()
    }
    settings = {
        name: SettingBound(int(r["default"]), int(r["min"]), int(r["max"]), _source(r, name))
        for name, r in _load("settings.toml").items()
    }
    target = _load("density.toml")["target"]
    raw_jur = _load("jurisdictions.toml")
    guardian_roles = {
        code: GuardianRole(code, str(r["en"]), str(r["fr"]))
        for code, r in raw_jur.pop("guardian_roles").items()
    }
    packs = raw_jur
    return RulesData(
        zones=zones,
        usual=usual,
        ceilings=ceilings,
        contras=contras,
        protocols=protocols,
        downtime=bands,
        aftercare=aftercare,
        precare=tuple({**r, "source": _source(r, r["code"])}
                      for r in _load("precare.toml")["item"]),
        numbing_products=products,
        occlusion_large_area_cm2=float(numbing["occlusion"]["large_area_cm2"]),
        occlusion_source=_source(numbing["occlusion"], "occlusion"),
        dose_tolerance=float(numbing["dose_guide"]["tolerance"]),
        dose_tolerance_source=_source(numbing["dose_guide"], "dose_guide"),
        jurisdictions=_jurisdictions(packs, guardian_roles),
        guardian_roles=guardian_roles,
        checkin=_checkin(_load("checkin.toml")),
        roles=roles,
        messages=messages,
        settings=settings,
        density_min=float(target["min_per_cm2"]),
        density_max=float(target["max_per_cm2"]),
        density_source=_source(target, "density"),
    )
