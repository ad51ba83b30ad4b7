"""Synthetic clinic networks at scale (puncta seed).

``generate(SeedConfig(...))`` builds clinics, staff, devices and patients with their
intake, screening (asked of the rules engine), consents and audit trail, deterministically
for a seed. See ``history.PATIENT_STAGES`` for where plans, appointments and charts go.
"""

from .base import BENCH_PASSWORD, SeedConfig, SeedError
from .generator import Summary, generate

__all__ = ["BENCH_PASSWORD", "SeedConfig", "SeedError", "Summary", "generate"]
