"""What every generator stage shares: the configuration, the run context, batches."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import models

from .auditlog import AuditWriter, Who
from .messages import MessageTexts
from .screening import CachedScreener

BENCH_PASSWORD = "puncta-bench-2026"  # noqa: S105 - synthetic users of a bench database


class SeedError(Exception):
    """The seed cannot run (e.g. this seed's network is already in the database)."""


@dataclass(frozen=True)
class SeedConfig:
    clinics: int = 3
    patients: int = 1000
    years: int = 3
    seed: int = 1
    today: dt.date = field(default_factory=dt.date.today)
    # Patients per transaction (per clinic): fewer commits and chain-head updates; a
    # batch holds its ~55 audit events per patient in memory until its flush.
    batch_size: int = 2000
    password: str = BENCH_PASSWORD
    progress: bool = True

    def __post_init__(self) -> None:
        if self.clinics < 1:
            raise SeedError("--clinics must be at least 1")
        if self.patients < 0:
            raise SeedError("--patients must not be negative")
        if not 1 <= self.years <= 30:
            raise SeedError("--years must be between 1 and 30")
        if self.batch_size < 1:
            raise SeedError("--batch-size must be at least 1")

    @property
    def prefix(self) -> str:
        """Usernames of this seed's staff start with it (and identify the network)."""
        return f"s{self.seed}."


def stream(cfg: SeedConfig, *parts: object) -> random.Random:
    """An independent, deterministic random stream per (seed, clinic, stage): a stage
    draws the same values whatever the batch size, and adding a stage changes no other."""
    return random.Random(":".join([str(cfg.seed), *(str(p) for p in parts)]))


@dataclass
class Staff:
    user_id: int
    username: str
    label: str
    role: str
    clinic_id: int
    membership_id: int = 0
    registration: str = ""

    def who(self) -> Who:
        return Who(self.user_id, self.username, self.role, self.clinic_id)


@dataclass
class ClinicNet:
    """One generated clinic with what later stages need to refer to."""

    index: int
    clinic: Any  # clinics.Clinic
    patients: int
    staff: dict[str, list[Staff]] = field(default_factory=dict)
    templates: dict[tuple[str, str], Any] = field(default_factory=dict)
    locations: list[Any] = field(default_factory=list)
    devices: list[Any] = field(default_factory=list)
    lots: list[Any] = field(default_factory=list)
    products: list[Any] = field(default_factory=list)
    rooms: dict[int, list[Any]] = field(default_factory=dict)  # location id -> rooms
    # (membership id, weekday) -> (location id, from, to), local time of the location
    hours: dict[tuple[int, int], tuple[int, dt.time, dt.time]] = field(default_factory=dict)
    care: Any = None  # care.Desk: the clinic's calendar while history is generated
    french_share: float = 0.2
    streams: dict[str, random.Random] = field(default_factory=dict)

    def role(self, *roles: str) -> list[Staff]:
        return [s for r in roles for s in self.staff.get(r, [])]


@dataclass
class PatientRow:
    """A generated patient and the facts later stages build its history from."""

    patient: Any  # patients.Patient
    created_at: dt.datetime
    language: str = "en"
    intakes: list[Any] = field(default_factory=list)  # in time order
    screenings: list[Any] = field(default_factory=list)  # in time order
    consents: list[Any] = field(default_factory=list)


@dataclass
class Batch:
    net: ClinicNet
    start: int  # index of the first patient of the batch within its clinic
    size: int
    rows: list[PatientRow] = field(default_factory=list)


@dataclass
class Context:
    cfg: SeedConfig
    audit: AuditWriter = field(default_factory=AuditWriter)
    screener: CachedScreener = field(default_factory=CachedScreener)
    messages: MessageTexts = field(default_factory=MessageTexts)
    counts: Counter[str] = field(default_factory=Counter)
    results: Counter[str] = field(default_factory=Counter)
    nets: list[ClinicNet] = field(default_factory=list)
    questionnaire: Any = None
    password_hash: str = ""
    pools: Any = None  # people.Pools

    def stream(self, net: ClinicNet, name: str) -> random.Random:
        if name not in net.streams:
            net.streams[name] = stream(self.cfg, "clinic", net.index, name)
        return net.streams[name]

    def created(self, model: type[models.Model], n: int) -> None:
        self.counts[model._meta.label] += n


class PatientStage(Protocol):
    """One step of a patient's history, run on each batch in order.

    Plans, appointments and charts (when their apps land) are one more stage each, placed
    after ``ConsentStage`` in ``PATIENT_STAGES``; they read what earlier stages left on
    the batch rows (screenings, consents) and add their rows and audit events.
    """

    name: str

    def run(self, ctx: Context, batch: Batch) -> None: ...


def at_time(day: dt.date, rng: random.Random, *, open_hour: int = 13,
            close_hour: int = 23) -> dt.datetime:
    """A moment during clinic hours (stored in UTC; 13-23 UTC is 9-19 in Eastern time)."""
    seconds = rng.randint(open_hour * 3600, close_hour * 3600 - 1)
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)


@contextmanager
def historical_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk inserts keep the generated created/updated times (auto_now fields would
    overwrite them with now). In-process and restored on exit."""
    changed = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                changed.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, now, add in changed:
            f.auto_now, f.auto_now_add = now, add
