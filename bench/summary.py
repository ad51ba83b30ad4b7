"""Per-operation figures from per-request records, whichever client made them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Record:
    op: str
    status: int  # 0: no answer (socket error, timeout)
    seconds: float
    queries: int | None  # X-Puncta-Queries
    cpu_us: int | None  # X-Puncta-CPU-us (app CPU of the request, in its worker)
    outcome: str = "ok"  # "ok", "err" or "refused" (a 422 the bench expects, e.g. a slot taken)


def pct(values: list[float], p: float) -> float:
    """The p-th percentile, linear between the closest ranks (numpy's default)."""
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summarise(records: list[Record], elapsed: float) -> dict[str, Any]:
    """requests, errors, refused, p50/p95/p99 ms, req/s, SQL queries and app CPU per
    request (from the headers), per operation."""
    by_op: dict[str, list[Record]] = {}
    for r in records:
        by_op.setdefault(r.op, []).append(r)
    return {op: figures(rs, elapsed) for op, rs in sorted(by_op.items())}


def figures(rs: list[Record], elapsed: float) -> dict[str, Any]:
    lat = [r.seconds for r in rs]
    q = [r.queries for r in rs if r.queries is not None]
    cpu = [r.cpu_us for r in rs if r.cpu_us is not None]
    return {
        "requests": len(rs), "errors": sum(r.outcome == "err" for r in rs),
        "refused": sum(r.outcome == "refused" for r in rs),
        "p50_ms": pct(lat, 50) * 1000, "p95_ms": pct(lat, 95) * 1000,
        "p99_ms": pct(lat, 99) * 1000, "rps": len(rs) / elapsed if elapsed else 0.0,
        "queries_min": min(q) if q else None, "queries_max": max(q) if q else None,
        "queries_mean": sum(q) / len(q) if q else None,
        "app_cpu_ms_header": sum(cpu) / len(cpu) / 1000 if cpu else None,
    }


def error_samples(records: list[Record], n: int = 10) -> list[str]:
    seen: dict[str, int] = {}
    for r in records:
        if r.outcome == "err":
            key = f"{r.op}: HTTP {r.status}" if r.status else f"{r.op}: no answer"
            seen[key] = seen.get(key, 0) + 1
    return [f"{k} ×{v}" for k, v in sorted(seen.items(), key=lambda kv: -kv[1])[:n]]
