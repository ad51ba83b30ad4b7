"""Audit events for generated history, hash-chained in Python and bulk inserted.

Events are collected per batch and appended to the chain in one transaction that holds
the chain head's row lock (as ``puncta.audit.services.record_many`` does), so seeding an
existing database continues its chain and ``puncta audit verify`` passes afterwards.
Within a batch events are appended in time order; across batches the chain follows the
order of generation (ids are not globally chronological: the hash does not cover ids).
The hash is computed over exactly the content ``AuditEvent.content()`` covers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from puncta.audit.models import AuditChainHead, AuditEvent

from . import fastdb

COLUMNS = ("id", "at", "actor_id", "actor_label", "role", "clinic_id", "patient_id",
           "object_type", "object_id", "action", "ip", "reason", "data", "prev_hash", "hash")


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
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        ids = fastdb.reserve_ids(AuditEvent, len(pending))
        prev = head.last_hash
        dumps = json.dumps
        sha = hashlib.sha256
        rows = []
        for pk, (at, _, who, action, otype, oid, patient, reason, data) in zip(
                ids, pending, strict=True):
            content = {
                "at": at.isoformat(), "actor": who.user_id, "actor_label": who.label,
                "role": who.role, "clinic": who.clinic_id, "patient": patient,
                "object_type": otype, "object_id": oid, "action": action, "ip": who.ip,
                "reason": reason, "data": data,
            }
            payload = dumps(content, sort_keys=True, separators=(",", ":"), default=str)
            digest = sha((prev + payload).encode()).hexdigest()
            rows.append((pk, at, who.user_id, who.label, who.role, who.clinic_id, patient,
                         otype, oid, action, who.ip, reason, data, prev, digest))
            prev = digest
        fastdb.insert_rows(AuditEvent, COLUMNS, rows)
        AuditChainHead.objects.filter(pk=1).update(last_hash=prev, count=head.count + len(rows))
        self.written += len(rows)
        return len(rows)
