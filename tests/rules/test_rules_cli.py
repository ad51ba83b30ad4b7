"""The command-line contract: table-driven cases in-process, and the real entry point."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
from typing import Any

import pytest

from puncta.rules.cli import main

CASES = sorted((pathlib.Path(__file__).parent / "cases").glob("*.json"))
SRC = pathlib.Path(__file__).resolve().parents[2] / "src"


def test_at_least_40_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case(
    path: pathlib.Path, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = json.loads(path.read_text("utf-8"))
    inp = tmp_path / "input.json"
    inp.write_text(json.dumps(case["input"]), "utf-8")
    assert main(["check", str(inp)]) == 0
    out = json.loads(capsys.readouterr().out)
    codes = [f["code"] for f in out["findings"]]
    expect = case["expect"]
    assert out["verdict"] == expect["verdict"], codes
    for code in expect["codes_present"]:
        assert code in codes, (code, codes)
    for code in expect["codes_absent"]:
        assert code not in codes, (code, codes)
    assert set(out) == {"verdict", "rules_version", "findings", "zones", "downtime_days", "numbing"}
    for f in out["findings"]:
        assert set(f) == {"code", "severity", "message", "message_fr", "rule", "source", "field"}


def _stdin_main(monkeypatch: pytest.MonkeyPatch, text: str) -> int:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    return main(["check", "-"])


def _first_case_input() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CASES[0].read_text("utf-8"))["input"]
    return data


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("{not json", "file"),
        (
            json.dumps({**_first_case_input(), "zones": [{"zone": "cheek", "depth_mm": "deep"}]}),
            "zones[0].depth_mm",
        ),
        (json.dumps({k: v for k, v in _first_case_input().items() if k != "patient"}), "patient"),
        (json.dumps({**_first_case_input(), "jurisdiction": "ZZ"}), "jurisdiction"),
    ],
)
def test_malformed_exits_2_naming_field(
    text: str, field: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _stdin_main(monkeypatch, text) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{field}:" in captured.err and captured.err.count("\n") == 1
    assert "Traceback" not in captured.err


def test_missing_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "/nonexistent/x.json"]) == 2
    assert "file:" in capsys.readouterr().err


def test_plan(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["plan", "--indication", "acne_scars", "--severity", "severe", "--start", "2026-12-01"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["sessions"]) == 6
    assert out["sessions"][1] == {
        "number": 2,
        "earliest": "2027-01-12",
        "target": "2027-01-19",
        "latest": "2027-01-26",
        "done": None,
    }
    assert out["maintenance"]["per_year"] == {"min": 1, "max": 3}
    assert main([*args, "--done", "2026-12-08"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sessions"][1]["earliest"] == "2027-01-19"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--indication", "acne_scars", "--severity", "huge", "--start", "2026-12-01"], "severity"),
        (["--indication", "tattoos", "--severity", "mild", "--start", "2026-12-01"], "indication"),
        (["--indication", "tone", "--severity", "mild", "--start", "01/12/2026"], "start"),
    ],
)
def test_plan_bad_args(args: list[str], field: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", *args]) == 2
    assert f"{field}:" in capsys.readouterr().err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["plan", "--indication", "tone"])
    assert e.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("conditions", "medications", "procedures", "zones", "indications", "roles"):
        assert out[key]


def _run_module(stdin: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p),
    }
    return subprocess.run(
        [sys.executable, "-m", "puncta.rules", "check", "-"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_subprocess_entry_point_refuse() -> None:
    case = json.loads((CASES[0].parent / "02_reference_example_ontario.json").read_text("utf-8"))
    proc = _run_module(json.dumps(case["input"]))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["verdict"] == "refuse"
    assert out["zones"] == [{"zone": "cheek_left", "depth_mm": 1.5, "reaches": "dermis"}]
    assert out["downtime_days"] == {"min": 4, "max": 5}


def test_subprocess_entry_point_malformed() -> None:
    bad = {**_first_case_input(), "zones": [{"zone": "cheek", "depth_mm": -2}]}
    proc = _run_module(json.dumps(bad))
    assert proc.returncode == 2
    assert "zones[0].depth_mm" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""
