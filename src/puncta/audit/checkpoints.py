"""Signed checkpoints: the audit log's anchor outside the database.

A checkpoint records, for every chain, how many events it holds, its head hash and the id
of its newest event, with a sequence number and the time, signed with HMAC-SHA256 under
a key the database never holds (``PUNCTA_AUDIT_KEY`` or a key file). Someone able to
rewrite the audit table can recompute every unkeyed hash, but not a signature: after a
checkpoint, removing or rewriting any event it covers shows in ``puncta audit verify``.

Checkpoints are appended to a JSON-lines file in the data directory (fsync'd), or written
one object each to a Django storage (``STORAGES["audit_checkpoints"]``), never changed.
A new checkpoint extends the previous one only after checking the events in between, so a
log tampered with is never signed as good.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.utils import timezone

from .chain import ChainState, check_event, snapshot, walk
from .models import AuditChainHead, AuditEvent
from .seal import seal_all

try:  # POSIX: serialises concurrent checkpoint writers on the file
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

VERSION = 1
STORAGE_ALIAS = "audit_checkpoints"
STORAGE_DIR = "audit-checkpoints"


class CheckpointError(Exception):
    """A checkpoint is missing, unreadable, forged, or the log no longer matches it."""


# --- The key -----------------------------------------------------------------------------

def audit_key(*, create: bool = False) -> bytes | None:
    """The signing key: PUNCTA_AUDIT_KEY, else the key file (generated on first use
    outside production when ``create``). None when there is none yet."""
    if settings.AUDIT_KEY:
        return str(settings.AUDIT_KEY).encode()
    path = Path(settings.AUDIT_KEY_FILE)
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        if not create:
            return None
        if settings.PRODUCTION:
            raise ImproperlyConfigured(
                f"the audit key file {path} does not exist (PUNCTA_AUDIT_KEY_FILE)") from None
        return _generate_key(path)
    except OSError as exc:
        raise CheckpointError(f"the audit key file {path} is unreadable: {exc}") from exc
    if not text:
        raise CheckpointError(f"the audit key file {path} is empty")
    return text.encode()


def _generate_key(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32).hex()
    try:
        # O_EXCL: two processes creating it at once keep the first one's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip().encode()
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
        f.flush()
        os.fsync(f.fileno())
    return key.encode()


def key_id(key: bytes) -> str:
    """A short public name for a key, so a checkpoint signed by another key says so."""
    return hashlib.sha256(b"puncta audit key id:" + key).hexdigest()[:16]


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(body: dict[str, Any], key: bytes) -> str:
    return hmac.new(key, _canonical(body), hashlib.sha256).hexdigest()


# --- Checkpoints ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Mark:
    chain: str
    count: int
    head: str
    last_id: int


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    at: str
    events: int
    marks: tuple[Mark, ...]

    @property
    def label(self) -> str:
        return f"#{self.seq} of {self.at}"

    def body(self, key: bytes) -> dict[str, Any]:
        return {
            "v": VERSION, "seq": self.seq, "at": self.at, "events": self.events,
            "key_id": key_id(key),
            "chains": [{"chain": m.chain, "count": m.count, "head": m.head,
                        "last_id": m.last_id} for m in self.marks],
        }


def parse(record: dict[str, Any], key: bytes) -> Checkpoint:
    """A checkpoint read back, once its signature is checked."""
    try:
        body = {k: v for k, v in record.items() if k != "sig"}
        cp = Checkpoint(
            seq=int(body["seq"]), at=str(body["at"]), events=int(body["events"]),
            marks=tuple(Mark(str(c["chain"]), int(c["count"]), str(c["head"]),
                             int(c["last_id"])) for c in body["chains"]))
        sig = str(record["sig"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"the latest checkpoint is malformed ({exc})") from exc
    if not hmac.compare_digest(sign(body, key), sig):
        if body.get("key_id") != key_id(key):
            raise CheckpointError(
                f"checkpoint {cp.label} was signed with another key (key id "
                f"{body.get('key_id')}, this key is {key_id(key)})")
        raise CheckpointError(f"checkpoint {cp.label} has a bad signature (forged or altered)")
    return cp


class Store(Protocol):
    where: str

    def latest(self) -> dict[str, Any] | None: ...
    def append(self, record: dict[str, Any]) -> None: ...
    def locked(self) -> contextlib.AbstractContextManager[None]: ...


class JsonLinesStore:
    """One JSON object a line, only ever appended to, each line fsync'd."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def latest(self) -> dict[str, Any] | None:
        try:
            line = _last_line(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CheckpointError(f"the checkpoint file {self.path} is unreadable: {exc}") from exc
        if line is None:
            return None
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise CheckpointError(f"the checkpoint file {self.path} is garbled: {exc}") from exc
        if not isinstance(record, dict):
            raise CheckpointError(f"the checkpoint file {self.path} is garbled")
        return record

    def append(self, record: dict[str, Any]) -> None:
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            size = os.fstat(fd).st_size
            data = json.dumps(record, sort_keys=True, separators=(",", ":")).encode() + b"\n"
            if size and not _ends_with_newline(self.path, size):
                data = b"\n" + data  # close a line a crash left torn
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:  # make the new file's name durable too
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        with open(lock, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


def _ends_with_newline(path: Path, size: int) -> bool:
    with open(path, "rb") as f:
        f.seek(size - 1)
        return f.read(1) == b"\n"


def _last_line(path: Path) -> str | None:
    """The last complete line (a torn final fragment without its newline is skipped)."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        block = 8192
        while True:
            start = max(0, size - block)
            f.seek(start)
            data = f.read(size - start)
            cut = data.rfind(b"\n")
            if cut < 0 and start == 0:
                return None
            lines = data[:cut].split(b"\n") if cut >= 0 else []
            complete = [ln for ln in (lines if start == 0 else lines[1:]) if ln.strip()]
            if complete:
                return complete[-1].decode()
            if start == 0:
                return None
            block *= 4


class StorageStore:
    """One object per checkpoint in a Django storage (a bucket with object lock, say)."""

    def __init__(self) -> None:
        from django.core.files.storage import storages

        self.storage = storages[STORAGE_ALIAS]
        self.where = f"storage {STORAGE_ALIAS!r}"

    def latest(self) -> dict[str, Any] | None:
        try:
            _, names = self.storage.listdir(STORAGE_DIR)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CheckpointError(f"the checkpoint {self.where} is unreadable: {exc}") from exc
        names = sorted(n for n in names if n.endswith(".json"))
        if not names:
            return None
        try:
            with self.storage.open(f"{STORAGE_DIR}/{names[-1]}") as f:
                record = json.loads(f.read())
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"checkpoint {names[-1]} is unreadable: {exc}") from exc
        if not isinstance(record, dict):
            raise CheckpointError(f"checkpoint {names[-1]} is garbled")
        return record

    def append(self, record: dict[str, Any]) -> None:
        name = f"{STORAGE_DIR}/{int(record['seq']):012d}.json"
        data = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
        self.storage.save(name, ContentFile(data))

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        yield


def store() -> Store:
    if STORAGE_ALIAS in settings.STORAGES:
        return StorageStore()
    return JsonLinesStore(Path(settings.AUDIT_CHECKPOINT_FILE))


# --- Reading and writing -------------------------------------------------------------------

@dataclass(frozen=True)
class Anchor:
    """What ``audit verify`` checks the log against."""

    checkpoint: Checkpoint | None = None
    problem: str = ""
    missing: bool = False  # no checkpoint though a key exists


def load_anchor() -> Anchor:
    key = audit_key()
    st = store()
    record = st.latest()
    if record is None:
        if key is None:  # never anchored: nothing to check against yet
            return Anchor()
        return Anchor(problem=f"no audit checkpoint found in {st.where} (deleted, or never "
                              "written: run 'puncta audit checkpoint')", missing=True)
    if key is None:
        return Anchor(problem="checkpoints exist but there is no audit key to check them "
                              "(set PUNCTA_AUDIT_KEY or restore the key file)")
    return Anchor(checkpoint=parse(record, key))


def write_checkpoint() -> Checkpoint:
    """Check the events since the previous checkpoint, then sign and store a new one."""
    key = audit_key(create=True)
    assert key is not None
    st = store()
    with st.locked():
        record = st.latest()
        previous = parse(record, key) if record is not None else None
        seal_all()
        with snapshot():
            marks = _extend(previous)
        at = timezone.now().isoformat()
        cp = Checkpoint(seq=(previous.seq if previous else 0) + 1, at=at,
                        events=sum(m.count for m in marks), marks=tuple(marks))
        body = cp.body(key)
        st.append({**body, "sig": sign(body, key)})
    return cp


def _extend(previous: Checkpoint | None, batch_size: int = 2000) -> list[Mark]:
    label = previous.label if previous else ""
    before = {m.chain: m for m in previous.marks} if previous else {}
    heads = list(AuditChainHead.objects.order_by("chain"))
    gone = sorted(set(before) - {h.chain for h in heads})
    if gone:
        raise CheckpointError(f"chain {gone[0]}, signed by checkpoint {label}, has no head "
                              "any more: not signing")
    marks = []
    for head in heads:
        state = ChainState(head.chain)
        mark = before.get(head.chain)
        if mark is not None and mark.count:
            still = AuditEvent.objects.filter(chain=head.chain, id=mark.last_id).first()
            if still is not None and still.seq is not None:
                position = still.seq
            else:  # linked before sealing existed: its position is its rank by id
                position = AuditEvent.objects.filter(
                    chain=head.chain, id__lte=mark.last_id, seq__isnull=True,
                    hash__isnull=False).count()
            if still is None or still.hash != mark.head or position != mark.count:
                raise CheckpointError(
                    f"chain {head.chain} no longer holds the events checkpoint {label} "
                    "signed: not signing (run 'puncta audit verify')")
            state = ChainState(head.chain, mark.head, mark.count, mark.last_id)
        for event in walk(head.chain, after=state, batch_size=batch_size):
            problem = check_event(state, event)
            if problem:
                raise CheckpointError(
                    f"audit chain broken at event {event.id}: {problem}: not signing")
        if state.count != head.count or state.prev != head.last_hash:
            raise CheckpointError(f"chain {head.chain}'s head does not match its events: "
                                  "not signing")
        marks.append(Mark(head.chain, state.count, state.prev, state.last_id))
    return marks
