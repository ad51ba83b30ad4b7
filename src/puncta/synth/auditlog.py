"""Audit events for generated history, hash-chained in Python and bulk inserted.

Events are collected per batch and appended to their clinic's chain in one transaction
that holds each chain head's row lock, written already sealed as ``puncta.audit.seal``
seals: each with its position (``seq``), the previous hash and its own hash. Events the
app left unsealed in a chain are sealed first, so seeding an existing database continues
its chains and ``puncta audit verify`` passes afterwards. Within a batch events are
appended in time order; across batches a chain follows the order of generation (ids are
not globally chronological: the hash does not cover ids). Content and hash come from the
audit app's own functions (one definition).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from puncta.audit.models import AuditChainHead, AuditEvent, chain_for, chain_hash, event_content
from puncta.audit.seal import lock_head, seal

from . import fastdb

COLUMNS = ("id", "at", "actor_id", "actor_label", "role", "clinic_id", "patient_id",
           "object_type", "object_id", "action", "ip", "reason", "data", "chain", "seq",
           "prev_hash", "hash")


@dataclass(frozen=True)
class Who:
    user_id: int | None
    label: str
    role: str
    clinic_id: int | None
    ip: str | None = None


@dataclass
class AuditWriter:
    pending: list[tuple[Any, ...]] = field(default_factory=list)
    written: int = 0
    _seq: int = 0

    def add(self, at: dt.datetime, who: Who, action: str, object_type: str,
            object_id: Any = "", *, patient_id: int | None = None, reason: str = "",
            data: dict[str, Any] | None = None) -> None:
        self._seq += 1
        if at.utcoffset():  # the chain hashes the time as read back: in UTC
            at = at.astimezone(dt.UTC)
        self.pending.append((at, self._seq, who, str(action), object_type, str(object_id),
                             patient_id, reason, data or {}))

    def flush(self) -> int:
        """Chain and insert the pending events; call inside the batch's transaction."""
        if not self.pending:
            return 0
        self.pending.sort(key=lambda t: (t[0], t[1]))
        pending, self.pending = self.pending, []
        by_chain: dict[str, list[tuple[Any, ...]]] = {}
        for item in pending:
            by_chain.setdefault(chain_for(item[2].clinic_id), []).append(item)
        # Heads locked in name order (as any writer of several chains must), and before the
        # ids are reserved: within a chain, id order is chain order.
        for chain in sorted(by_chain):
            seal(chain)  # the app's unsealed events keep their place before the seed's
        heads = {chain: lock_head(chain) for chain in sorted(by_chain)}
        ids = iter(fastdb.reserve_ids(AuditEvent, len(pending)))
        when = fastdb.datetime_out()
        dumps = fastdb.json_text
        rows = []
        # Rows built as the database takes them (time and JSON converted here, once):
        # the audit table is the largest of the seed.
        for chain, head in heads.items():
            prev, seq = head.last_hash, head.count
            for at, _, who, action, otype, oid, patient, reason, data in by_chain[chain]:
                seq += 1  # sealed as ``audit.seal.seal`` seals: position, link, hash
                digest = chain_hash(prev, event_content(
                    at=at, actor_id=who.user_id, actor_label=who.label, role=who.role,
                    clinic_id=who.clinic_id, patient_id=patient, object_type=otype,
                    object_id=oid, action=action, ip=who.ip, reason=reason, data=data))
                rows.append((next(ids), when(at), who.user_id, who.label, who.role,
                             who.clinic_id, patient, otype, oid, action, who.ip, reason,
                             dumps(data), chain, seq, prev, digest))
                prev = digest
            AuditChainHead.objects.filter(pk=head.pk).update(
                last_hash=prev, count=head.count + len(by_chain[chain]))
        fastdb.write_converted(AuditEvent, COLUMNS, rows)
        self.written += len(rows)
        return len(rows)
