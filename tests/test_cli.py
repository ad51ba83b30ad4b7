"""The `puncta` command: help, errors as one line, createuser, tokens, audit verify."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from puncta.accounts.models import ApiToken, Membership
from puncta.cli import main

pytestmark = pytest.mark.django_db


def _run(*args: str, env: dict[str, str] | None = None, stdin: str = ""):
    return subprocess.run([sys.executable, "-m", "puncta", *args], capture_output=True,
                          text=True, input=stdin, timeout=120,
                          env={**os.environ, **(env or {})})


def test_help_lists_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("demo", "serve", "migrate", "createuser", "audit verify", "rules check"):
        assert word in out


def test_bad_database_url_is_one_line_no_traceback(tmp_path):
    result = _run("audit", "verify", env={"DATABASE_URL": "nonsense://x", "PUNCTA_MODE": "dev",
                                          "PUNCTA_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unmigrated_database_is_one_line(tmp_path):
    result = _run("audit", "verify", env={
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "PUNCTA_MODE": "dev",
        "PUNCTA_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "puncta migrate" in result.stderr


def test_createuser_and_token(personas, capsys):
    call_command("createuser", "newnurse", "--clinic", str(personas.clinic.pk),
                 "--role", "registered_nurse", "--registration-number", "RN 1")
    m = Membership.objects.get(user__username="newnurse")
    assert m.role == "registered_nurse" and m.clinic == personas.clinic
    assert not m.user.has_usable_password()
    capsys.readouterr()
    call_command("token", "create", "newnurse", "--clinic", str(personas.clinic.pk))
    raw = capsys.readouterr().out.strip()
    assert ApiToken.objects.find_active(raw).membership == m


def test_createuser_refuses_unknown_clinic_and_bad_director(personas):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no clinic"):
        call_command("createuser", "x", "--clinic", "999", "--role", "physician")
    with pytest.raises(CommandError, match="medical director"):
        call_command("createuser", "y", "--clinic", str(personas.clinic.pk),
                     "--role", "front_desk", "--medical-director")


def test_demo_prepare_and_verify_end_to_end(tmp_path):
    env = {"PUNCTA_MODE": "demo", "PUNCTA_DATA_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    first = _run("demo", "--no-serve", env=env)
    assert first.returncode == 0, first.stderr
    assert "dr.chen" in first.stdout and "created" in first.stdout
    again = _run("demo", "--no-serve", env=env)
    assert again.returncode == 0 and "already present" in again.stdout
    verify = _run("audit", "verify", env=env)
    assert verify.returncode == 0 and "intact" in verify.stdout
    assert (tmp_path / "secret_key").exists()
