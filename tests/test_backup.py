"""Backup and restore drills: back up, destroy, restore, and the audit log still verifies
against its signed checkpoints. Each drill drives the real `puncta` command on its own
database (a file in a temporary directory, or a scratch PostgreSQL database)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest
from django.db import connection

KEY = "drill-audit-key-" + "d" * 40
WRITE = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from puncta.audit.services import SYSTEM, Actor, record
from puncta.clinics.models import Clinic
for n in range(2):
    c = Clinic.objects.create(name=f"C{n}", legal_name="L", jurisdiction="CA-ON",
                              time_zone="America/Toronto")
    for i in range(5):
        record(Actor(label="nurse", clinic_id=c.pk), "read", object_type="t", object_id=str(i))
record(SYSTEM, "login_failed", object_type="accounts.user")
default_storage.save("consents/signature.png", ContentFile(b"not really a png"))
"""


def _puncta(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "puncta", *args], capture_output=True,
                          text=True, input=stdin, timeout=300, env={**os.environ, **env})


def _ok(env: dict[str, str], *args: str) -> str:
    result = _puncta(env, *args)
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


def _drill(env: dict[str, str], data: Path, destroy, backup_args: tuple[str, ...] = ()) -> Path:
    _ok(env, "migrate", "--verbosity", "0")
    _ok(env, "shell", "-c", WRITE)
    _ok(env, "audit", "checkpoint")
    dest = data.parent / "backup"
    out = _ok(env, "backup", str(dest), *backup_args)
    assert "checkpoint #2" in out  # the backup signs a fresh one first
    manifest = json.loads((dest / "manifest.json").read_text())
    assert "media/consents/signature.png" in manifest["files"]
    assert "audit-checkpoints.jsonl" in manifest["files"]
    destroy()
    _ok(env, "restore", str(dest))
    out = _ok(env, "audit", "verify")
    assert "audit chain intact: 11 events verified in 3 chains" in out
    assert "matches checkpoint #2" in out
    assert (data / "media" / "consents" / "signature.png").read_bytes() == b"not really a png"
    return dest


def test_sqlite_backup_destroy_restore_verify(tmp_path):
    data = tmp_path / "data"
    env = {"PUNCTA_MODE": "dev", "PUNCTA_DATA_DIR": str(data), "PUNCTA_AUDIT_KEY": "",
           "DATABASE_URL": f"sqlite:///{data / 'puncta.sqlite3'}"}

    def destroy() -> None:  # the whole data directory is lost: key, checkpoints, media
        shutil.rmtree(data)

    dest = _drill(env, data, destroy, ("--include-key",))
    assert (dest / "audit.key").stat().st_mode & 0o777 == 0o600
    # Restoring over a database that has tables needs --force.
    refused = _puncta(env, "restore", str(dest))
    assert refused.returncode == 1 and "already has tables" in refused.stderr
    assert "Traceback" not in refused.stderr
    # Losing the checkpoints afterwards is caught, in one line.
    (data / "audit-checkpoints.jsonl").unlink()
    lost = _puncta(env, "audit", "verify")
    assert lost.returncode == 1 and "no audit checkpoint found" in lost.stderr
    assert len(lost.stderr.strip().splitlines()) == 1


def test_sqlite_restore_refuses_a_damaged_backup_or_another_key(tmp_path):
    data = tmp_path / "data"
    env = {"PUNCTA_MODE": "dev", "PUNCTA_DATA_DIR": str(data), "PUNCTA_AUDIT_KEY": KEY,
           "DATABASE_URL": f"sqlite:///{data / 'puncta.sqlite3'}"}
    _ok(env, "migrate", "--verbosity", "0")
    _ok(env, "shell", "-c", WRITE)
    dest = tmp_path / "backup"
    _ok(env, "backup", str(dest))
    assert not (dest / "audit.key").exists()  # the key stays out unless asked
    shutil.rmtree(data)
    other = _puncta({**env, "PUNCTA_AUDIT_KEY": "another-" + "x" * 40}, "restore", str(dest))
    assert other.returncode == 1 and "signed by audit key id" in other.stderr
    (dest / "media" / "consents" / "signature.png").write_bytes(b"changed")
    damaged = _puncta(env, "restore", str(dest))
    assert damaged.returncode == 1 and "differs from the manifest" in damaged.stderr
    missing = _puncta(env, "restore", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "not a Puncta backup" in missing.stderr


def test_postgresql_backup_destroy_restore_verify(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL drill runs when the suite runs on PostgreSQL")
    url = urlparse(os.environ["DATABASE_URL"])
    name = f"puncta_audit_drill_{os.getpid()}"
    admin = url._replace(path="/postgres").geturl()

    def sql(statement: str) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(statement)

    sql(f"DROP DATABASE IF EXISTS {name}")
    sql(f"CREATE DATABASE {name}")
    data = tmp_path / "data"
    env = {"PUNCTA_MODE": "dev", "PUNCTA_DATA_DIR": str(data), "PUNCTA_AUDIT_KEY": KEY,
           "DATABASE_URL": url._replace(path=f"/{name}").geturl()}

    def destroy() -> None:  # the database is dropped, checkpoints and media lost
        sql(f"DROP DATABASE {name} WITH (FORCE)")
        sql(f"CREATE DATABASE {name}")
        shutil.rmtree(data)

    try:
        dest = _drill(env, data, destroy)
        assert (dest / "db.dump").exists() and not (dest / "audit.key").exists()
        # The restored table keeps its guards.
        with psycopg.connect(env["DATABASE_URL"]) as conn:
            names = {r[0] for r in conn.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
                "AND tgenabled <> 'D'")}
        assert {"audit_event_append_only", "audit_event_no_truncate"} <= names
    finally:
        sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
