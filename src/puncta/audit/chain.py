"""Walking a chain: the one place that decides whether an event follows its predecessor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction

from .models import GENESIS_HASH, LEGACY_CHAIN, AuditEvent, chain_for

LINK_PROBLEM = ("its link to the previous event is wrong (an event before it was removed "
                "or changed)")
CONTENT_PROBLEM = "its content was changed"


@dataclass
class ChainState:
    """Where a walk of one chain has got to."""

    chain: str
    prev: str = GENESIS_HASH
    count: int = 0
    last_id: int = 0


def check_event(state: ChainState, event: AuditEvent) -> str | None:
    """Advance the walk by one event, or say what is wrong with it."""
    if event.seq is not None and event.seq != state.count + 1:
        return (f"it claims position {event.seq} in its chain but follows event "
                f"{state.count} (an event before it was removed)")
    if event.prev_hash != state.prev:
        return LINK_PROBLEM
    if event.compute_hash() != event.hash:
        return CONTENT_PROBLEM
    if state.chain != LEGACY_CHAIN and chain_for(event.clinic_id) != state.chain:
        return f"it belongs to chain {chain_for(event.clinic_id)}, not {state.chain}"
    state.prev = event.hash
    state.count += 1
    state.last_id = event.id
    return None


def walk(chain: str | None = None, *, after: ChainState | None = None,
         batch_size: int = 2000) -> Iterator[AuditEvent]:
    """Sealed events in chain order: first those linked before sealing existed (no
    ``seq``; id order is their chain order), then the sealed ones by position. One chain,
    or every chain interleaved (each chain's events still in its order). ``after``: only
    what follows the walk's state (a checkpoint's mark)."""
    base = AuditEvent.objects.filter(hash__isnull=False)
    if chain is not None:
        base = base.filter(chain=chain)
    inline = base.filter(seq__isnull=True)
    sealed = base.filter(seq__isnull=False)
    last_id, last_seq = 0, 0
    if after is not None and after.count:
        mark = AuditEvent.objects.filter(id=after.last_id).values("seq").first()
        if mark is not None and mark["seq"] is not None:
            inline = inline.none()
            last_seq = mark["seq"]
        else:
            last_id = after.last_id
    while True:
        batch = list(inline.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        yield from batch
        last_id = batch[-1].id
    chains = [chain] if chain is not None else list(
        sealed.order_by("chain").values_list("chain", flat=True).distinct())
    for name in chains:
        seq = last_seq if chain is not None else 0
        while True:
            batch = list(sealed.filter(chain=name, seq__gt=seq).order_by("seq")[:batch_size])
            if not batch:
                break
            yield from batch
            seq = batch[-1].seq or 0


@contextmanager
def snapshot() -> Iterator[None]:
    """One consistent read of the log: REPEATABLE READ on PostgreSQL (set before the
    first query), one read transaction on SQLite's WAL. Events written meanwhile are not
    seen, so they never look like a broken chain, and writers are not held up."""
    outermost = not connection.in_atomic_block
    if connection.vendor == "sqlite" and outermost:
        # Django opens SQLite transactions IMMEDIATE (the write lock, taken up front); a
        # long walk must not hold that lock, so read in a DEFERRED transaction: WAL gives
        # it a snapshot and writers carry on. Only reads happen inside.
        connection.ensure_connection()
        with connection.cursor() as cur:
            cur.execute("BEGIN DEFERRED")
            try:
                yield
            finally:
                cur.execute("COMMIT")
        return
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield
