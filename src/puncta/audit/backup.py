"""``puncta backup DEST`` and ``puncta restore SRC``.

A backup is a directory: ``manifest.json`` (what, when, which database, a SHA-256 of
every file), the database (``db.sqlite3`` through SQLite's online backup API, or
``db.dump`` from ``pg_dump -Fc``), ``media/`` (MEDIA_ROOT), and the audit checkpoints.
The audit key is left out unless asked (``--include-key``): whoever holds the backup and
the key could forge checkpoints, so keep them apart.

Order matters for the audit anchor: a fresh checkpoint is signed, the checkpoints are
copied, and only then is the database dumped, so every event the copied checkpoints sign
is in the dump (events written meanwhile are simply newer than the last checkpoint).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from . import checkpoints
from .checkpoints import CheckpointError
from .guards import after_migrate

FORMAT = 1
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in one line."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    files: int
    checkpoint: str


# --- Backup --------------------------------------------------------------------------------

def backup(dest: Path, *, include_key: bool = False) -> BackupResult:
    dest = dest.resolve()
    if dest.is_relative_to(Path(settings.MEDIA_ROOT).resolve()):
        raise BackupError(f"{dest} is inside MEDIA_ROOT, which it would copy into itself")
    if dest.exists() and not dest.is_dir():
        raise BackupError(f"{dest} exists and is not a directory")
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} exists and is not empty: choose a new directory")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        cp = checkpoints.write_checkpoint()
    except CheckpointError as exc:
        raise BackupError(f"the audit log does not verify, not backing it up: {exc}") from exc
    key = checkpoints.audit_key()
    assert key is not None
    _copy_checkpoints(dest)
    if include_key:
        (dest / "audit.key").write_text(key.decode() + "\n")
        (dest / "audit.key").chmod(0o600)
    vendor = connection.vendor
    if vendor == "sqlite":
        _sqlite_backup(dest / "db.sqlite3")
    elif vendor == "postgresql":
        _run(["pg_dump", "-Fc", "--no-owner", "-f", str(dest / "db.dump"),
              *_pg_args()], "pg_dump")
    else:
        raise BackupError(f"backups of {vendor} databases are not supported")
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir():
        shutil.copytree(media, dest / "media", dirs_exist_ok=True)
    files = sorted(p for p in dest.rglob("*") if p.is_file())
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": vendor,
        "checkpoint": cp.label,
        "audit_key_id": checkpoints.key_id(key),
        "includes_key": include_key,
        "files": {str(p.relative_to(dest)): _sha256(p) for p in files},
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return BackupResult(dest, len(files), cp.label)


def _copy_checkpoints(dest: Path) -> None:
    st = checkpoints.store()
    if isinstance(st, checkpoints.JsonLinesStore):
        shutil.copy2(st.path, dest / "audit-checkpoints.jsonl")
        return
    out = dest / "audit-checkpoints"
    out.mkdir()
    storage = st.storage  # type: ignore[attr-defined]
    for name in storage.listdir(checkpoints.STORAGE_DIR)[1]:
        with storage.open(f"{checkpoints.STORAGE_DIR}/{name}") as f:
            (out / name).write_bytes(f.read())


def _sqlite_backup(target: Path) -> None:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("an in-memory database cannot be backed up")
    # The online backup API copies a consistent snapshot while others keep writing.
    src = sqlite3.connect(name)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


# --- Restore ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RestoreResult:
    files: int
    checkpoint: str
    set_aside: Path | None


def restore(src: Path, *, force: bool = False) -> RestoreResult:
    manifest = read_manifest(src)
    vendor = connection.vendor
    if manifest["database"] != vendor:
        raise BackupError(f"{src} holds a {manifest['database']} database; DATABASE_URL "
                          f"points to {vendor}")
    for rel, digest in manifest["files"].items():
        path = src / rel
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"{path} is missing or differs from the manifest")
    _check_key(src, manifest)
    if not force and _has_tables():
        raise BackupError("the database already has tables: restore into an empty one, "
                          "or pass --force to replace its contents")
    if vendor == "sqlite":
        _sqlite_restore(src / "db.sqlite3")
    else:
        connections.close_all()
        # Grants are left out (the app role may not exist here yet) and re-applied below.
        _run(["pg_restore", "--no-owner", "--no-privileges", "--clean", "--if-exists",
              "--exit-on-error",
              *_pg_args(), str(src / "db.dump")], "pg_restore")
    connections.close_all()
    after_migrate(using=connection.alias)  # triggers and the app role, as migrate leaves them
    set_aside = _restore_checkpoints(src)
    if (src / "media").is_dir():
        shutil.copytree(src / "media", Path(settings.MEDIA_ROOT), dirs_exist_ok=True)
    return RestoreResult(len(manifest["files"]), str(manifest["checkpoint"]), set_aside)


def read_manifest(src: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{src} is not a Puncta backup (no {MANIFEST})") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src / MANIFEST} is unreadable: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{src / MANIFEST} is not a backup manifest of format {FORMAT}")
    return manifest


def _check_key(src: Path, manifest: dict[str, Any]) -> None:
    """The checkpoints must be checkable after the restore: with the key in the backup,
    or with the key this installation already has (the same one)."""
    key = checkpoints.audit_key()
    wanted = manifest["audit_key_id"]
    if key is not None and checkpoints.key_id(key) == wanted:
        return
    packed = src / "audit.key"
    if key is None and packed.is_file() and not settings.AUDIT_KEY:
        if checkpoints.key_id(packed.read_text().strip().encode()) != wanted:
            raise BackupError(f"{packed} is not the key that signed the backup's checkpoints")
        path = Path(settings.AUDIT_KEY_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(packed, path)
        path.chmod(0o600)
        return
    raise BackupError(
        f"the backup's checkpoints were signed by audit key id {wanted}, and this "
        f"installation's key is {checkpoints.key_id(key) if key else 'missing'}: set "
        "PUNCTA_AUDIT_KEY (or the key file) to that key first")


def _has_tables() -> bool:
    return bool(connection.introspection.table_names())


def _sqlite_restore(source: Path) -> None:
    target = str(connection.settings_dict["NAME"])
    connections.close_all()
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def _restore_checkpoints(src: Path) -> Path | None:
    """Put the backup's checkpoints in place. Newer ones (signing events the backup does
    not hold) would rightly fail verification: they are set aside, never deleted."""
    st = checkpoints.store()
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    packed_file = isinstance(st, checkpoints.JsonLinesStore)
    if not (src / ("audit-checkpoints.jsonl" if packed_file else "audit-checkpoints")).exists():
        raise BackupError("the backup's checkpoints were kept in a different kind of store "
                          "(file or storage backend) than this installation uses")
    if isinstance(st, checkpoints.JsonLinesStore):
        set_aside = None
        if st.path.exists():
            set_aside = st.path.with_name(f"{st.path.name}.before-restore-{stamp}")
            st.path.rename(set_aside)
        st.path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / "audit-checkpoints.jsonl", st.path)
        return set_aside
    storage = st.storage  # type: ignore[attr-defined]
    try:
        existing = storage.listdir(checkpoints.STORAGE_DIR)[1]
    except FileNotFoundError:
        existing = []
    packed = {p.name for p in (src / "audit-checkpoints").iterdir()}
    aside = f"{checkpoints.STORAGE_DIR}-before-restore-{stamp}"
    for name in existing:
        if name not in packed:
            with storage.open(f"{checkpoints.STORAGE_DIR}/{name}") as f:
                storage.save(f"{aside}/{name}", f)
            storage.delete(f"{checkpoints.STORAGE_DIR}/{name}")
    from django.core.files.base import ContentFile

    for name in sorted(packed - set(existing)):
        data = (src / "audit-checkpoints" / name).read_bytes()
        storage.save(f"{checkpoints.STORAGE_DIR}/{name}", ContentFile(data))
    return None


# --- Helpers ---------------------------------------------------------------------------------

def _pg_args() -> list[str]:
    db = connection.settings_dict
    args = ["--dbname", str(db["NAME"])]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return args


def _run(argv: list[str], what: str) -> None:
    env = {**os.environ}
    password = connection.settings_dict.get("PASSWORD")
    if password:
        env["PGPASSWORD"] = str(password)  # never on the command line, where ps shows it
    try:
        # argv is ours: fixed tool names and the configured database settings, no shell.
        result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"{what} is not installed (PostgreSQL client tools)") from None
    if result.returncode != 0:
        lines = [ln for ln in result.stderr.strip().splitlines() if ln.strip()]
        raise BackupError(f"{what} failed: {lines[0] if lines else result.returncode}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
