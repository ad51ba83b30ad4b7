"""Sealing and checkpoints on a schedule.

Sealing: ``seal_task`` links whatever events are still unsealed (a writer that found
another sealer busy, or ``PUNCTA_AUDIT_SEAL=worker``) every ``PUNCTA_AUDIT_SEAL_SECONDS``.

Checkpoints: a task that writes one and queues the next (run by
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
from .seal import seal_all

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


@task()
def seal_task() -> str:
    try:
        return f"sealed {seal_all()} events"
    finally:
        if not _waiting(seal_task):
            seal_task.using(run_after=timezone.now() + dt.timedelta(
                seconds=settings.AUDIT_SEAL_SECONDS)).enqueue()


def ensure_scheduled() -> bool:
    """Queue a checkpoint (and the sealing cycle) now unless one is already waiting; True
    if a checkpoint was queued."""
    if not _waiting(seal_task):
        seal_task.enqueue()
    waiting = _waiting()
    if not waiting:
        _queue(timezone.now())
    return not waiting


def _waiting(which=None) -> bool:  # type: ignore[no-untyped-def]
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=(which or write_checkpoint_task).module_path, status="READY").exists()


def _queue(when: dt.datetime) -> None:
    write_checkpoint_task.using(run_after=when).enqueue()
