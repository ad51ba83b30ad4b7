"""Sealing: linking a chain's committed, unsealed events into the chain, oldest first.

Writers insert their events unsealed inside their own transaction and take no lock (see
``services.record_many``); they never queue behind one another's commit. Sealing takes
the chain head's row lock for one short transaction per batch, gives each event its
position (``seq``), the previous event's hash and its own hash, and moves the head.

Who seals: the writer itself right after its commit, without waiting (``seal_soon``: if
another sealer holds the chain, or this process sealed it a moment ago, it returns at
once and that sealer, the next writer or the worker takes the event), the worker every
few seconds (``sealer.Sealer``), and anything that needs
the whole chain linked first (``audit verify``, checkpoints, backups) with ``seal_all``.
An event commits unsealed only for that moment; until sealed it is protected by the same
append-only triggers as every other event.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from .models import AuditChainHead, AuditEvent

log = logging.getLogger(__name__)

BATCH = 2000


def seal(chain: str, *, wait: bool = True, batch: int = BATCH) -> int:
    """Seal the chain's committed unsealed events; the number sealed. ``wait=False``
    returns 0 at once when another sealer holds the chain."""
    total = 0
    while True:
        with transaction.atomic():
            head = lock_head(chain, wait=wait)
            if head is None:
                return total
            pending = list(AuditEvent.objects.filter(chain=chain, hash__isnull=True)
                           .order_by("id")[:batch])
            if not pending:
                return total
            prev, count = head.last_hash, head.count
            for event in pending:
                count += 1
                event.seq = count
                event.prev_hash = prev
                event.hash = event.compute_hash()
                prev = event.hash
            _write(pending)
            AuditChainHead.objects.filter(pk=head.pk).update(last_hash=prev, count=count)
        total += len(pending)
        if len(pending) < batch:
            return total


def seal_all(*, wait: bool = True) -> int:
    """Seal every chain that has unsealed events; the number sealed."""
    chains = (AuditEvent.objects.filter(hash__isnull=True).order_by()
              .values_list("chain", flat=True).distinct())
    return sum(seal(chain, wait=wait) for chain in list(chains))


def unsealed_count() -> int:
    return AuditEvent.objects.filter(hash__isnull=True).count()


# When this process last sealed each chain (monotonic seconds). Only a throttle: another
# process, the next writer or the worker seals what it skips, so nothing depends on it.
_last_sealed: dict[str, float] = {}


def seal_soon(chain: str) -> None:
    """After a writer's commit: seal now, unless this process sealed the chain less than
    ``PUNCTA_AUDIT_SEAL_EVERY_MS`` ago (under load one seal then covers many writers'
    events), someone else is sealing it, or the deployment leaves sealing to the worker
    (``PUNCTA_AUDIT_SEAL=worker``)."""
    if settings.AUDIT_SEAL != "commit":
        return
    now = time.monotonic()
    if now - _last_sealed.get(chain, -1e9) < settings.AUDIT_SEAL_EVERY_MS / 1000:
        return
    _last_sealed[chain] = now
    try:
        seal(chain, wait=False)
    except Exception:  # the action is committed; the worker or the next writer seals it
        log.exception("sealing audit chain %s after commit failed", chain)


def lock_head(chain: str, *, wait: bool = True) -> AuditChainHead | None:
    """The chain's head row, locked until the transaction ends (created on first use);
    None when ``wait`` is False and another transaction holds it."""
    head = (AuditChainHead.objects.select_for_update(skip_locked=not wait)
            .filter(chain=chain).first())
    if head is not None:
        return head
    if AuditChainHead.objects.filter(chain=chain).exists():
        return None  # it exists and is locked (only reachable with wait=False)
    # Two first sealers of a new chain: the loser's insert fails on the unique chain (in a
    # savepoint) and it then takes the winner's row like any later sealer.
    try:
        with transaction.atomic():
            return AuditChainHead.objects.create(chain=chain)
    except IntegrityError:
        return (AuditChainHead.objects.select_for_update(skip_locked=not wait)
                .filter(chain=chain).first())


def _write(events: list[AuditEvent]) -> None:
    rows = [(e.seq, e.prev_hash, e.hash, e.id) for e in events]
    table = AuditEvent._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # One statement for the batch, with four array parameters: its text stays the
            # same whatever the batch size (a VALUES list of 4 × N placeholders cost psycopg
            # ~6 ms to parse per 300 events).
            cur.execute(
                f"UPDATE {table} AS e SET seq = v.seq, prev_hash = v.prev, hash = v.hash "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) "
                "AS v(id, seq, prev, hash) WHERE e.id = v.id",
                [[pk for *_, pk in rows], [seq for seq, *_ in rows],
                 [prev for _, prev, _, _ in rows], [h for _, _, h, _ in rows]])
        else:
            cur.executemany(
                f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
                rows)
