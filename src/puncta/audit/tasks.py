"""Checkpoints: a task that writes one and queues the next (run by
``puncta worker``, django-tasks-db). ``ensure_scheduled`` starts the cycle when none is
queued; a checkpoint refused because the log was tampered with is logged as an error and
the cycle goes on (each later attempt refuses too, until someone looks)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from .checkpoints import CheckpointError, write_checkpoint

log = logging.getLogger(__name__)


@task()
def write_checkpoint_task() -> str:
    try:
        cp = write_checkpoint()
        result = f"checkpoint {cp.label}: {cp.events} events in {len(cp.marks)} chains"
    except CheckpointError as exc:
        log.error("audit checkpoint refused: %s", exc)
        result = f"refused: {exc}"
    finally:
        # Two workers starting at once may each have queued one: only one cycle goes on.
        if not _waiting():
            _queue(timezone.now() + dt.timedelta(minutes=settings.AUDIT_CHECKPOINT_MINUTES))
    return result


def ensure_scheduled() -> bool:
    """Queue a checkpoint now unless one is already waiting; True if one was queued."""
    waiting = _waiting()
    if not waiting:
        _queue(timezone.now())
    return not waiting


def _waiting() -> bool:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=write_checkpoint_task.module_path, status="READY").exists()


def _queue(when: dt.datetime) -> None:
    write_checkpoint_task.using(run_after=when).enqueue()
