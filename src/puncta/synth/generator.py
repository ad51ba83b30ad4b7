"""``generate(SeedConfig)``: the whole synthetic network, batch by batch.

The network (clinics, staff, devices, consent documents) is built first, then patients
in batches of ``batch_size`` per clinic; each batch runs every stage of
``history.PATIENT_STAGES`` and appends its audit events to the chain, in one transaction.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from tqdm import tqdm

from puncta.clinics.models import Clinic
from puncta.consent.models import Consent
from puncta.patients.intake.services import questionnaire_current
from puncta.patients.models import IntakeResponse, Patient, Screening

from .base import Batch, Context, SeedConfig, historical_timestamps
from .history import PATIENT_STAGES
from .network import build_network
from .people import Pools


@dataclass
class Summary:
    cfg: SeedConfig
    seconds: float
    counts: dict[str, int]
    results: dict[str, int]
    audit_events: int
    cache_hits: int
    cache_misses: int
    clinics: list[dict[str, Any]] = field(default_factory=list)
    database: str = ""

    @property
    def patients_per_second(self) -> float:
        return self.cfg.patients / self.seconds if self.seconds else 0.0

    @property
    def rows(self) -> int:
        return sum(self.counts.values()) + self.audit_events

    def lines(self) -> list[str]:
        out = [
            f"Seeded {self.database} with seed {self.cfg.seed} ({self.cfg.years} years to "
            f"{self.cfg.today.isoformat()}) in {self.seconds:.1f} s: "
            f"{self.patients_per_second:,.0f} patients/s, "
            f"{self.rows / self.seconds if self.seconds else 0:,.0f} rows/s.",
        ]
        for label, n in sorted(self.counts.items()):
            out.append(f"  {label:<28} {n:>10,}")
        out.append(f"  {'audit.AuditEvent':<28} {self.audit_events:>10,}")
        screened = sum(self.results.get(k, 0) for k in ("clear", "review", "not_candidate"))
        if screened:
            shares = ", ".join(
                f"{k} {self.results.get(k, 0) / screened:.1%}"
                for k in ("clear", "review", "not_candidate"))
            out.append(f"Current screening of {screened:,} screened patients: {shares}; "
                       f"awaiting review {self.results.get('awaiting_review', 0):,}; "
                       f"never screened {self.results.get('not_screened', 0):,}.")
        total = self.cache_hits + self.cache_misses
        if total:
            out.append(f"Rules engine asked {self.cache_misses:,} times for {total:,} "
                       f"screenings (cache by answer pattern: {self.cache_hits / total:.0%} "
                       "hits).")
        asked, cached = self.results.get("care_rules_asked", 0), self.results.get(
            "care_rules_cached", 0)
        if asked + cached:
            out.append(f"Care: rules engine asked {asked:,} times for {asked + cached:,} plan, "
                       f"session and numbing decisions ({cached / (asked + cached):.0%} "
                       f"cached); sessions not placed in their window "
                       f"{self.results.get('sessions_unplaced', 0):,}, refused on the day "
                       f"{self.results.get('sessions_refused_at_chart', 0):,}.")
        out.append("Clinics:")
        for c in self.clinics:
            out.append(f"  id {c['id']:<5} {c['name']} ({c['jurisdiction']}): "
                       f"{c['patients']:,} patients, staff e.g. {c['users'][0]}")
        out.append(f"Every seeded user's password: {self.cfg.password}")
        return out


def generate(cfg: SeedConfig) -> Summary:
    ctx = Context(cfg)
    for stage in PATIENT_STAGES:
        reset = getattr(stage, "reset", None)
        if reset is not None:
            reset()
    started = time.perf_counter()
    ctx.pools = Pools.build(cfg.seed)
    with transaction.atomic():
        ctx.questionnaire = questionnaire_current()
        build_network(ctx)
        ctx.audit.flush()
    bar = tqdm(total=cfg.patients, unit=" patients", disable=not cfg.progress,
               file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
    with bar, historical_timestamps(Patient, IntakeResponse, Screening, Consent):
        for net in ctx.nets:
            bar.set_description(f"clinic {net.index}/{len(ctx.nets)}")
            for start in range(0, net.patients, cfg.batch_size):
                batch = Batch(net, start, min(cfg.batch_size, net.patients - start))
                with transaction.atomic():
                    for stage in PATIENT_STAGES:
                        stage.run(ctx, batch)
                    ctx.audit.flush()
                bar.update(batch.size)
            Clinic.objects.filter(pk=net.clinic.pk).update(next_mrn=net.patients + 1)
    # Fresh planner statistics: after a bulk load the estimates are those of empty tables
    # (observed: a nested loop over users for a patient's consents, 13 ms instead of 0.1).
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    seconds = time.perf_counter() - started
    care = next((s.rules for s in PATIENT_STAGES if hasattr(s, "rules")), None)
    if care is not None:
        ctx.results["care_rules_asked"] = care.misses
        ctx.results["care_rules_cached"] = care.hits
    return Summary(
        cfg=cfg, seconds=seconds, counts=dict(ctx.counts), results=dict(ctx.results),
        audit_events=ctx.audit.written, cache_hits=ctx.screener.hits,
        cache_misses=ctx.screener.misses, database=connection.vendor,
        clinics=[{"id": n.clinic.pk, "name": n.clinic.name,
                  "jurisdiction": n.clinic.jurisdiction, "patients": n.patients,
                  "users": [s.username for role in n.staff.values() for s in role]}
                 for n in ctx.nets],
    )
