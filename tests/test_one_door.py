"""One clinical truth: records reach the rules through `puncta.facts`, never through the
rules' JSON parser, and no app re-decides what the rules decide."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "puncta"
PARSER = re.compile(r"\b(proposal_from_dict|patient_from_dict|settings_from_dict|"
                    r"restrictions_from_dict)\b|rules\.parse\b|from \.parse import")
# Literal severity orders and licence-class thresholds are the rules' own.
RECOMPUTED = re.compile(r'\{"note": 0, "review": 1, "refuse": 2\}|MIN_CLASS\s*=')


def _app_sources():
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("rules", "migrations") or "migrations" in rel.parts:
            continue
        yield rel, path.read_text(encoding="utf-8")


def test_no_app_feeds_records_through_the_json_parser():
    offenders = [str(rel) for rel, text in _app_sources() if PARSER.search(text)]
    assert offenders == [], f"use puncta.facts, not the rules' JSON parser: {offenders}"


def test_no_app_recomputes_severity_order_or_licence_class():
    offenders = [str(rel) for rel, text in _app_sources() if RECOMPUTED.search(text)]
    assert offenders == [], offenders


def test_the_adapter_imports_no_django_model():
    text = (SRC / "facts.py").read_text(encoding="utf-8")
    assert "django" not in text and "puncta.rules" in text
