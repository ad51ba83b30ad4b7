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
