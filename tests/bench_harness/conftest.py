"""The bench harness's pure helpers (bench/ is a folder of scripts, not a package).

bench/ is on sys.path only while its modules are imported: bench/fhir.py would otherwise
hide the ``fhir`` package (fhir.resources) from every later test."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

BENCH = str(Path(__file__).resolve().parents[2] / "bench")
sys.path.insert(0, BENCH)
try:
    for name in ("summary", "cpu", "spread", "wrk_mix"):
        importlib.import_module(name)
finally:
    sys.path.remove(BENCH)
