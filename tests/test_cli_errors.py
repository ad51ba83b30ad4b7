"""Every `puncta` command given bad input: one line on stderr, a non-zero exit, never a
traceback, and a message about the input (not the last-resort "SomeError:" line, and not
a database error for what is not the database's fault)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from puncta.cli import main

pytestmark = pytest.mark.django_db

LAST_RESORT = re.compile(r"puncta: error: [A-Z]\w*(Error|Exception):")
README_EXAMPLE = {
    "on": "2026-11-25", "jurisdiction": "CA-ON", "indication": "acne_scars",
    "patient": {"birth_date": "1990-04-02", "phototype": 4, "pregnant": False,
                "nursing": False, "conditions": [], "medications": [], "procedures": []},
    "practitioner": {"role": "medical_aesthetician", "supervising_physician": None},
    "device": {"intended_use": "professional", "max_depth_mm": 2.5,
               "licence": {"authority": "HC", "number": "12345", "class": 2,
                           "status": "active"}},
    "zones": [{"zone": "cheek_left", "depth_mm": 1.5, "passes": 4}],
    "previous_sessions": ["2026-10-14"],
}


def _files(tmp: Path) -> dict[str, str]:
    def proposal(**change: object) -> str:
        data = json.loads(json.dumps(README_EXAMPLE))
        for dotted, value in change.items():
            target = data
            *path, last = dotted.split("__")
            for key in path:
                target = target[key]
            target[last] = value
        return json.dumps(data)

    def mdall(**change: object) -> str:
        record = {"original_licence_no": 99001, "licence_status": "I", "appl_risk_class": 2,
                  "licence_name": "PEN", "first_licence_status_dt": "2019-03-14"}
        record.update(change)
        return json.dumps([record])

    contents = {
        "class_roman.json": proposal(device__licence__class="II"),
        "role_list.json": proposal(practitioner__role=["nurse"]),
        "severity_obj.json": proposal(severity={"a": 1}),
        "deep.json": "[" * 100_000,
        "digits.json": "1" * 5000,
        "mdall_long.json": mdall(licence_status="CANCELLED-LONG"),
        "mdall_big.json": mdall(original_licence_no=10**20),
        "mdall_nul.json": mdall(licence_name="A\x00B"),
        "mdall_deep.json": "[" * 100_000,
    }
    out = {}
    for name, text in contents.items():
        (tmp / name).write_text(text, encoding="utf-8")
        out[name] = str(tmp / name)
    (tmp / "binary.json").write_bytes(b"\xff\xfe\x00\x81")
    out["binary.json"] = str(tmp / "binary.json")
    return out


# (arguments, a word the message must contain)
CASES: list[tuple[str, str]] = [
    ("nosuchcommand", "unknown command"),
    ("help nosuchcommand", "unknown command"),
    ("demo --port abc", "--port"),
    ("demo --port 0", "--port"),
    ("serve --port abc", "--port"),
    ("serve --port 70000", "--port"),
    ("serve --workers 0", "--workers"),
    ("serve --timeout 0", "--timeout"),
    ("migrate nosuchapp", "nosuchapp"),
    ("createuser", "required"),
    ("createuser bob --clinic 999 --role physician", "no clinic"),
    ("createuser bob --clinic 1 --role wizard", "--role"),
    ("token", "required"),
    ("token create", "USERNAME"),
    ("token create nobody --clinic 1", "not an active member"),
    ("token create nobody --clinic 1 --days x", "--days"),
    ("token list --user", "--user"),
    ("token revoke abc", "not a token id"),
    ("token revoke 12345", "no token"),
    ("audit", "required"),
    ("audit verify --bogus", "--bogus"),
    ("devices", "required"),
    ("devices verify", "--licence"),
    ("devices verify --licence 1 --on 2026-13-01", "date"),
    ("devices receive-lot --clinic 1 --product 1 --lot L --expiry x --quantity 1", "date"),
    ("devices receive-lot --clinic x --product 1 --lot L --expiry 2026-01-01 --quantity 1",
     "--clinic"),
    ("devices draw --clinic 1 --lot-id 1 --device 1", "No such lot"),
    ("devices trace --lot NOPE", "no lot"),
    ("devices trace --lot L --format xml", "--format"),
    ("devices import-mdall", "MDALL"),
    ("devices import-mdall /nonexistent.json", "cannot read"),
    ("devices import-mdall {binary.json}", "UTF-8"),
    ("devices import-mdall {mdall_deep.json}", "nested"),
    ("devices import-mdall {mdall_long.json}", "licence_status"),
    ("devices import-mdall {mdall_big.json}", "original_licence_no"),
    ("devices import-mdall {mdall_nul.json}", "NUL"),
    ("devices import-mdall --kind nothing x.json", "--kind"),
    ("worker --bogus", "--bogus"),
    ("seed --clinics abc", "--clinics"),
    ("seed --clinics -1", "--clinics"),
    ("rules", "required"),
    ("rules check", "required"),
    ("rules check /nonexistent", "cannot read"),
    ("rules check {binary.json}", "UTF-8"),
    ("rules check {deep.json}", "file"),
    ("rules check {digits.json}", "file"),
    ("rules check {class_roman.json}", "device.licence.class"),
    ("rules check {role_list.json}", "practitioner.role"),
    ("rules check {severity_obj.json}", "severity"),
    ("rules plan --indication x --severity y --start 2026-01-01", "indication"),
    ("rules plan --indication acne_scars --severity mild --start bad", "start"),
    ("rules codes extra", "extra"),
]


@pytest.mark.parametrize("args, word", CASES, ids=[c[0][:60] for c in CASES])
def test_bad_input_is_one_line_never_a_traceback(args, word, tmp_path, capsys, personas):
    files = _files(tmp_path)
    argv = [files[a[1:-1]] if a.startswith("{") else a for a in args.split()]
    code = main(argv)
    err = capsys.readouterr().err
    assert code != 0, (args, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert word in lines[0], lines[0]
    assert not LAST_RESORT.search(lines[0]), lines[0]
    assert "DATABASE_URL" not in lines[0], lines[0]


def test_rules_malformed_exit_2_naming_the_field(tmp_path, capsys):
    files = _files(tmp_path)
    assert main(["rules", "check", files["class_roman.json"]]) == 2
    assert "device.licence.class" in capsys.readouterr().err


def test_a_real_process_prints_one_line(tmp_path):
    """Outside pytest too: the interpreter itself never prints a traceback."""
    bad = tmp_path / "deep.json"
    bad.write_text("[" * 100_000)
    for argv in (["rules", "check", str(bad)], ["createuser"]):
        result = subprocess.run([sys.executable, "-m", "puncta", *argv], capture_output=True,
                                text=True, timeout=120)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
