"""Server CPU from /proc: the gunicorn master and its workers (the app) and the
PostgreSQL backends serving one database (the database), sampled before, during and
after a phase of load. CPU time does not grow while a process waits, so CPU per request
is steadier than latency on a busy machine.

Why sample during the phase and not only at its ends: in production settings a worker's
database connection is closed after 60 s (``conn_max_age``) and a new backend starts; a
backend that ends inside a phase would otherwise take its CPU with it. Its last sampled
value is kept (at most one sampling interval of its CPU is lost). Workers that exit are
covered by the master's ``cutime``/``cstime`` (the CPU of reaped children).
"""

from __future__ import annotations

import os
import pwd
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

try:
    PG_UID = pwd.getpwnam("postgres").pw_uid
except KeyError:  # no local postgres user: only a TCP backend on this machine counts
    PG_UID = -1
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# "postgres: 15/main: <user> <database> 127.0.0.1(51130) idle": a client backend's title
# (the "15/main:" part is cluster_name, absent on some installs).
PG_TITLE = re.compile(r"^postgres: (?:[^:\s]+: )?(\S+) (\S+) (\S+\(\d+\)|\[local\])")


@dataclass(frozen=True)
class Stat:
    pid: int
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int

    @property
    def own(self) -> int:
        return self.utime + self.stime

    @property
    def with_children(self) -> int:
        return self.utime + self.stime + self.cutime + self.cstime


def parse_stat(text: str) -> Stat:
    """One /proc/<pid>/stat line. The command name (field 2) is in parentheses and may
    hold spaces or ')' itself: split after the last ')'."""
    head, _, tail = text.rpartition(")")
    pid = int(head.split("(", 1)[0])
    f = tail.split()
    # f[0] is field 3 (state): field k of proc(5) is f[k - 3].
    return Stat(pid=pid, ppid=int(f[1]), utime=int(f[11]), stime=int(f[12]),
                cutime=int(f[13]), cstime=int(f[14]))


def pg_backend_database(cmdline: bytes) -> str | None:
    """The database of a PostgreSQL client backend from its process title, else None."""
    m = PG_TITLE.match(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return m.group(2) if m else None


def ticks_to_ms(ticks: int) -> float:
    return ticks * 1000 / TICKS


def read_stat(pid: int) -> Stat | None:
    try:
        return parse_stat(Path(f"/proc/{pid}/stat").read_text())
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class Totals:
    app_ticks: int = 0
    db_ticks: int = 0
    db_backends: int = 0

    @property
    def app_ms(self) -> float:
        return ticks_to_ms(self.app_ticks)

    @property
    def db_ms(self) -> float:
        return ticks_to_ms(self.db_ticks)


@dataclass
class CpuMeter:
    """``start()``, then ``sample()`` now and then (from a thread), then
    ``stop()`` gives the app and database CPU of the phase."""

    app_pid: int
    database: str | None  # None: SQLite, the database runs inside the app
    exclude: set[int] = field(default_factory=set)  # the bench's own backend
    _kind: dict[int, str | None] = field(default_factory=dict)  # pid -> "db" / None (other)
    _db_base: dict[int, int] = field(default_factory=dict)
    _db_last: dict[int, int] = field(default_factory=dict)
    _app_base: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _app_now(self) -> int:
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            if pid == self.app_pid:
                s = read_stat(pid)
                total += s.with_children if s else 0
            else:
                s = read_stat(pid)
                if s is not None and s.ppid == self.app_pid:
                    total += s.own
        return total

    def _db_now(self) -> dict[int, int]:
        if self.database is None:
            return {}
        out = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            if pid in self.exclude:
                continue
            kind = self._kind.get(pid, "?")
            if kind == "?":
                try:
                    uid = entry.stat().st_uid
                    cmd = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                kind = "db" if pg_backend_database(cmd) == self.database else None
                # A backend just forked still shows the postmaster's title: decide on a
                # postgres-owned process only once it names a database.
                if kind == "db" or uid != PG_UID:
                    self._kind[pid] = kind
            if kind == "db":
                s = read_stat(pid)
                if s is not None:
                    out[pid] = s.own
        return out

    def start(self) -> None:
        with self._lock:
            self._kind.clear()  # pids are reused: classify again each phase
            self._db_base = self._db_now()
            self._db_last = dict(self._db_base)
            self._app_base = self._app_now()

    def sample(self) -> None:
        with self._lock:
            self._db_last.update(self._db_now())

    def stop(self) -> Totals:
        with self._lock:
            app = self._app_now() - self._app_base
            self._db_last.update(self._db_now())
            return db_delta(self._db_base, self._db_last, app)


def db_delta(base: dict[int, int], last: dict[int, int], app_ticks: int) -> Totals:
    """Database CPU of a phase: every backend seen, last value minus its value at the start
    (0 for a backend born during the phase)."""
    db = sum(max(0, v - base.get(pid, 0)) for pid, v in last.items())
    return Totals(app_ticks=max(0, app_ticks), db_ticks=db, db_backends=len(last))

