"""Benchmark the rules engine: check_session evaluations per second on one core, and the
CLI start-up time (median of several `python -m puncta.rules check` runs).

Run: PYTHONPATH=src python bench/rules.py   (or with the package installed)
Prints numbers; it does not pass or fail.
"""

from __future__ import annotations

import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from puncta.rules import RULES_VERSION, check_session, proposal_from_dict  # noqa: E402

# A realistic proposal: acne scars on both cheeks and the chin, a nurse under a
# supervising physician, history and medications, two previous sessions.
PROPOSAL = {
    "on": "2026-11-25",
    "jurisdiction": "CA-ON",
    "indication": "acne_scars",
    "severity": "severe",
    "patient": {
        "birth_date": "1990-04-02",
        "phototype": 4,
        "conditions": [
            {"code": "herpes_simplex_history"},
            {"code": "active_infection", "zone": "cheek_left"},
        ],
        "medications": [{"code": "isotretinoin", "last_dose": "2026-07-01"}],
        "procedures": [{"code": "filler", "zone": "upper_lip", "on": "2026-09-01"}],
    },
    "practitioner": {"role": "registered_nurse", "supervising_physician": {"name": "Dr. Roy"}},
    "device": {
        "intended_use": "professional",
        "licence": {"authority": "HC", "number": "12345", "class": 2, "status": "active"},
        "max_depth_mm": 2.5,
    },
    "zones": [
        {"zone": "cheek_left", "depth_mm": 1.5, "passes": 4},
        {"zone": "cheek_right", "depth_mm": 1.5, "passes": 4},
        {"zone": "chin", "depth_mm": 1.0, "passes": 3},
    ],
    "previous_sessions": ["2026-08-26", "2026-10-14"],
}


def per_second(fn: object, seconds: float = 2.0) -> float:
    assert callable(fn)
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(500):
            fn()
        n += 500
    return n / elapsed


def cli_startup(runs: int = 7) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    payload = json.dumps(PROPOSAL)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "puncta.rules", "check", "-"],
            input=payload,
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    proposal = proposal_from_dict(PROPOSAL)
    decision = check_session(proposal)
    print(
        f"rules version {RULES_VERSION}; verdict {decision.verdict}; "
        f"{len(decision.findings)} findings"
    )
    print(
        f"check_session:                {per_second(lambda: check_session(proposal)):>10,.0f} /s"
        "  (goal >= 20,000/s)"
    )
    print(
        f"parse + check_session:        "
        f"{per_second(lambda: check_session(proposal_from_dict(PROPOSAL))):>10,.0f} /s"
    )
    print(
        f"parse + check + to_dict:      "
        f"{per_second(lambda: check_session(proposal_from_dict(PROPOSAL)).to_dict()):>10,.0f} /s"
    )
    print(f"CLI start-up (median of 7):   {cli_startup() * 1000:>10.0f} ms")


if __name__ == "__main__":
    main()
