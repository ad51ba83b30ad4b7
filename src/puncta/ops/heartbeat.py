"""The worker's heartbeat: ``puncta worker`` touches its row every HEARTBEAT_SECONDS, and
``/readyz`` on any app server reads the freshest row.

A daemon thread beats rather than the task loop (django-tasks-db owns that loop): the
heartbeat says the worker process is alive and reaches the database. Each beat uses its
own short connection and closes it, so an idle worker holds no connection (PgBouncer).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

from django.db.models.functions import Now

from .models import WorkerHeartbeat
from .periodic import Periodic

HEARTBEAT_SECONDS = 30
FORGET_AFTER = dt.timedelta(days=1)  # rows of workers long gone are removed


def beat(worker_id: str, started_at: dt.datetime) -> None:
    """Record that this worker is alive, now (by the database's clock)."""
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=Now())
    if not updated:
        WorkerHeartbeat.objects.create(worker_id=worker_id, host=socket.gethostname()[:255],
                                       pid=os.getpid(), started_at=started_at, seen_at=Now())
        WorkerHeartbeat.objects.filter(seen_at__lt=Now() - FORGET_AFTER).delete()


class Heartbeat(Periodic):
    """Beats every ``every`` seconds until ``halt()``; a failed beat is logged, not fatal
    (the database may come back; /readyz shows the gap meanwhile). The row stays after
    ``halt()``: it ages out of /readyz after PUNCTA_READY_WORKER_MINUTES, so a restart of
    the worker does not make every app server unready for a moment."""

    failure = "worker heartbeat not recorded"

    def __init__(self, started_at: dt.datetime, every: float = HEARTBEAT_SECONDS) -> None:
        super().__init__("puncta-heartbeat", every)
        self.worker_id = uuid.uuid4().hex
        self.started_at = started_at

    def work(self) -> None:
        beat(self.worker_id, self.started_at)
