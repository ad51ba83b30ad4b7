"""Frozen dataclasses: the inputs and answers of the rules engine.

Inputs are built by `parse.py` from plain dicts (or by the app directly); answers are
`Decision`s carrying every `Finding` at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

Severity = Literal["refuse", "review", "note"]
Verdict = Literal["allow", "review", "refuse"]
Layer = Literal["epidermis", "dermis"]

# Order used to compute a verdict: the worst finding wins; `note` never changes it.
SEVERITY_RANK: dict[str, int] = {"note": 0, "review": 1, "refuse": 2}
VERDICT_RANK: dict[str, int] = {"allow": 0, "review": 1, "refuse": 2}


class RulesInputError(ValueError):
    """Malformed input (never a clinical "no"). `field` points at the bad input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: str
    message_fr: str
    rule: str
    source: str
    field: str

    def to_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "message_fr": self.message_fr,
            "rule": self.rule,
            "source": self.source,
            "field": self.field,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    findings: tuple[Finding, ...]
    rules_version: str

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "rules_version": self.rules_version,
            "findings": [f.to_dict() for f in self.findings],
        }


# --- patient -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZoneRef:
    """A treatment zone, e.g. `cheek_left` -> base `cheek`, side `left`."""

    base: str
    side: str | None = None

    @property
    def code(self) -> str:
        return f"{self.base}_{self.side}" if self.side else self.base

    def overlaps(self, other: ZoneRef) -> bool:
        # A zone without a side covers both sides.
        if self.base != other.base:
            return False
        return self.side is None or other.side is None or self.side == other.side


@dataclass(frozen=True, slots=True)
class Condition:
    code: str
    zone: ZoneRef | None = None
    onset: date | None = None


@dataclass(frozen=True, slots=True)
class Medication:
    code: str
    last_dose: date | None = None  # None means currently taking


@dataclass(frozen=True, slots=True)
class Procedure:
    code: str
    on: date
    zone: ZoneRef | None = None


@dataclass(frozen=True, slots=True)
class Patient:
    birth_date: date
    phototype: int | None = None
    pregnant: bool = False
    nursing: bool = False
    conditions: tuple[Condition, ...] = ()
    medications: tuple[Medication, ...] = ()
    procedures: tuple[Procedure, ...] = ()


@dataclass(frozen=True, slots=True)
class Settings:
    """Clinic configuration. A clinic may tighten the reference values, never loosen."""

    isotretinoin_washout_months: int = 6


DEFAULT_SETTINGS = Settings()


# --- session proposal ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Supervisor:
    """The physician supervising a session. The booleans are facts the clinic records:
    ``None`` means not known at this step (a plan has no shift yet; a draft chart is not
    yet attested), ``False`` is a known shortfall the rules refuse."""

    id: int | str | None = None
    name: str = ""
    role: str = "physician"
    on_shift: bool | None = None
    on_site: bool | None = None
    site_required: bool = False
    attested: bool | None = None


@dataclass(frozen=True, slots=True)
class Practitioner:
    role: str
    supervising_physician: Supervisor | None = None


@dataclass(frozen=True, slots=True)
class Restrictions:
    """Conditions a physician set on a screening decision ("treat, but ..."): the rules
    apply them at plan, booking and charting."""

    earliest_start: date | None = None
    max_depth_mm: float | None = None
    avoid_zones: tuple[ZoneRef, ...] = ()
    note: str = ""

    @property
    def empty(self) -> bool:
        return self.earliest_start is None and self.max_depth_mm is None and not self.avoid_zones


NO_RESTRICTIONS = Restrictions()


@dataclass(frozen=True, slots=True)
class PreviousSession:
    """A session already done for this patient (any course, any indication). No zones
    means the zones are not known: it then counts as overlapping every zone."""

    on: date
    zones: tuple[ZoneRef, ...] = ()

    def overlaps(self, zones: tuple[ZoneRef, ...]) -> bool:
        if not self.zones:
            return True
        return any(a.overlaps(b) for a in self.zones for b in zones)


@dataclass(frozen=True, slots=True)
class Licence:
    authority: str
    number: str
    device_class: int
    status: str = "active"
    first_date: date | None = None
    end_date: date | None = None

    def active_on(self, on: date) -> bool:
        if self.status != "active":
            return False
        if self.first_date is not None and self.first_date > on:
            return False
        return self.end_date is None or self.end_date >= on


@dataclass(frozen=True, slots=True)
class Device:
    intended_use: Literal["professional", "consumer"]
    licence: Licence | None = None
    max_depth_mm: float | None = None


@dataclass(frozen=True, slots=True)
class ZoneTreatment:
    zone: ZoneRef
    depth_mm: float
    passes: int | None = None


@dataclass(frozen=True, slots=True)
class Proposal:
    on: date
    jurisdiction: str
    indication: str
    patient: Patient
    practitioner: Practitioner
    device: Device
    zones: tuple[ZoneTreatment, ...]
    previous_sessions: tuple[PreviousSession, ...] = ()
    severity: str | None = None
    settings: Settings = DEFAULT_SETTINGS
    restrictions: Restrictions = NO_RESTRICTIONS


@dataclass(frozen=True, slots=True)
class PlanProposal:
    """A plan as a whole: who performs it and with which device are decided later (at
    booking and charting), so no practitioner or device is invented here."""

    on: date
    jurisdiction: str
    indication: str
    patient: Patient
    zones: tuple[ZoneTreatment, ...]
    severity: str | None = None
    settings: Settings = DEFAULT_SETTINGS
    restrictions: Restrictions = NO_RESTRICTIONS
    previous_sessions: tuple[PreviousSession, ...] = ()


@dataclass(frozen=True, slots=True)
class ZoneResult:
    zone: str
    depth_mm: float
    reaches: Layer

    def to_dict(self) -> dict[str, Any]:
        return {"zone": self.zone, "depth_mm": self.depth_mm, "reaches": self.reaches}


@dataclass(frozen=True, slots=True)
class DayRange:
    min_days: int
    max_days: int
    source: str
    derived: bool = False

    def to_dict(self) -> dict[str, int]:
        return {"min": self.min_days, "max": self.max_days}


@dataclass(frozen=True, slots=True)
class NumbingStatus:
    allowed: bool
    reasons: tuple[str, ...] = ()  # numbing.* finding codes

    def to_dict(self) -> dict[str, Any]:
        if self.allowed:
            return {"allowed": True}
        return {"allowed": False, "reasons": list(self.reasons)}


@dataclass(frozen=True, slots=True)
class SessionDecision(Decision):
    zones: tuple[ZoneResult, ...]
    downtime: DayRange | None
    numbing: NumbingStatus

    def to_dict(self) -> dict[str, Any]:
        out = Decision.to_dict(self)
        out["zones"] = [z.to_dict() for z in self.zones]
        out["downtime_days"] = self.downtime.to_dict() if self.downtime else None
        out["numbing"] = self.numbing.to_dict()
        return out


# --- courses, recovery, density --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionWindow:
    number: int
    earliest: date
    target: date
    latest: date
    done: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "earliest": self.earliest.isoformat(),
            "target": self.target.isoformat(),
            "latest": self.latest.isoformat(),
            "done": self.done.isoformat() if self.done else None,
        }


@dataclass(frozen=True, slots=True)
class Maintenance:
    per_year_min: int
    per_year_max: int
    earliest: date
    latest: date
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "per_year": {"min": self.per_year_min, "max": self.per_year_max},
            "earliest": self.earliest.isoformat(),
            "latest": self.latest.isoformat(),
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class Course:
    indication: str
    severity: str
    start: date
    min_interval_days: int
    max_interval_days: int
    sessions: tuple[SessionWindow, ...]
    maintenance: Maintenance
    source: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "indication": self.indication,
            "severity": self.severity,
            "start": self.start.isoformat(),
            "interval_days": {"min": self.min_interval_days, "max": self.max_interval_days},
            "sessions": [s.to_dict() for s in self.sessions],
            "maintenance": self.maintenance.to_dict(),
            "source": self.source,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class AftercareItem:
    code: str
    en: str
    fr: str
    duration_hours: int | None  # None: until healed / see text
    starts_after_hours: int
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "en": self.en,
            "fr": self.fr,
            "duration_hours": self.duration_hours,
            "starts_after_hours": self.starts_after_hours,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class PenSpec:
    needles: int
    frequency_hz: float
    glide_cm_s: float
    width_cm: float


@dataclass(frozen=True, slots=True)
class RollerSpec:
    needles: int
    drum_diameter_cm: float
    drum_width_cm: float


@dataclass(frozen=True, slots=True)
class Technique:
    passes: int


@dataclass(frozen=True, slots=True)
class DensityEstimate:
    per_cm2: float
    per_pass_cm2: float
    target_min: float
    target_max: float
    decision: Decision
    derived: bool = True


__all__ = [
    "DEFAULT_SETTINGS",
    "NO_RESTRICTIONS",
    "AftercareItem",
    "Condition",
    "Course",
    "DayRange",
    "Decision",
    "DensityEstimate",
    "Device",
    "Finding",
    "Licence",
    "Maintenance",
    "Medication",
    "NumbingStatus",
    "Patient",
    "PenSpec",
    "PlanProposal",
    "Practitioner",
    "PreviousSession",
    "Procedure",
    "Proposal",
    "Restrictions",
    "RollerSpec",
    "RulesInputError",
    "SessionDecision",
    "SessionWindow",
    "Settings",
    "Supervisor",
    "Technique",
    "ZoneRef",
    "ZoneResult",
    "ZoneTreatment",
]
