"""Checking the audit chain."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from .models import GENESIS_HASH, AuditChainHead, AuditEvent


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_at: int | None = None
    problem: str = ""


def verify_chain(batch_size: int = 2000) -> ChainReport:
    """Walk the chain in id order; report the first event whose link or content is wrong.

    Reads one consistent snapshot (REPEATABLE READ on PostgreSQL; one read transaction on
    SQLite's WAL), so events written meanwhile never look like a broken chain."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cur:
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _walk(batch_size)


def _walk(batch_size: int) -> ChainReport:
    prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        batch = list(
            AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size]
        )
        if not batch:
            break
        for event in batch:
            if event.prev_hash != prev:
                return ChainReport(
                    False, checked, event.id,
                    "its link to the previous event is wrong (an event before it was "
                    "removed or changed)",
                )
            if event.compute_hash() != event.hash:
                return ChainReport(False, checked, event.id, "its content was changed")
            prev = event.hash
            checked += 1
            last_id = event.id
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != prev:
        return ChainReport(
            False, checked, None, "the newest events were removed (chain head does not match)"
        )
    return ChainReport(True, checked)
