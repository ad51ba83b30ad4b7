"""Audit events for generated history, hash-chained in Python and bulk inserted.

Events are collected per batch and appended to the chain in one transaction that holds
the chain head's row lock (as ``puncta.audit.services.record_many`` does), so seeding an
existing database continues its chain and ``puncta audit verify`` passes afterwards.
Within a batch events are appended in time order; across batches the chain follows the
order of generation (ids are not globally chronological: the hash does not cover ids).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from puncta.audit.models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class Who:
    user_id: int | None
    label: str
    role: str
    clinic_id: int | None
    ip: str | None = None


@dataclass
class AuditWriter:
    batch_size: int = 2000
    pending: list[tuple[dt.datetime, int, AuditEvent]] = field(default_factory=list)
    written: int = 0
    _seq: int = 0

    def add(self, at: dt.datetime, who: Who, action: str, object_type: str,
            object_id: Any = "", *, patient_id: int | None = None, reason: str = "",
            data: dict[str, Any] | None = None) -> None:
        self._seq += 1
        event = AuditEvent(
            at=at, actor_id=who.user_id, actor_label=who.label, role=who.role,
            clinic_id=who.clinic_id, patient_id=patient_id, object_type=object_type,
            object_id=str(object_id), action=action, ip=who.ip, reason=reason,
            data=data or {},
        )
        self.pending.append((at, self._seq, event))

    def flush(self) -> int:
        """Chain and insert the pending events; call inside the batch's transaction."""
        if not self.pending:
            return 0
        self.pending.sort(key=lambda t: (t[0], t[1]))
        events = [e for _, _, e in self.pending]
        self.pending = []
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        prev = head.last_hash
        dumps = json.dumps
        sha = hashlib.sha256
        for e in events:
            e.prev_hash = prev
            # Same as AuditEvent.compute_hash, without the method-call overhead per row.
            content = {
                "at": e.at.isoformat(), "actor": e.actor_id, "actor_label": e.actor_label,
                "role": e.role, "clinic": e.clinic_id, "patient": e.patient_id,
                "object_type": e.object_type, "object_id": e.object_id, "action": e.action,
                "ip": e.ip, "reason": e.reason, "data": e.data,
            }
            payload = dumps(content, sort_keys=True, separators=(",", ":"), default=str)
            e.hash = sha((prev + payload).encode()).hexdigest()
            prev = e.hash
        AuditEvent.objects.bulk_create(events, batch_size=self.batch_size)
        AuditChainHead.objects.filter(pk=1).update(last_hash=prev,
                                                   count=head.count + len(events))
        self.written += len(events)
        return len(events)
