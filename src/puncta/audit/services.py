"""Writing audit events. Call inside the transaction of the action being audited:
if the audit write fails, the action fails with it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import Action, AuditChainHead, AuditEvent, chain_for


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the audit log records it."""

    user: Any = None  # accounts.User or None (system, anonymous)
    role: str = ""
    clinic_id: int | None = None
    ip: str | None = None
    label: str = ""

    @property
    def display(self) -> str:
        if self.label:
            return self.label
        if self.user is not None:
            return self.user.get_username()
        return "system"


SYSTEM = Actor(label="system")


def actor_from_request(request: HttpRequest) -> Actor:
    membership = getattr(request, "membership", None)
    user = request.user if request.user.is_authenticated else None
    return Actor(
        user=user,
        role=membership.role if membership else "",
        clinic_id=membership.clinic_id if membership else None,
        ip=client_ip(request),
    )


def client_ip(request: HttpRequest) -> str | None:
    # Behind a proxy only the proxy's address is trustworthy unless configured otherwise;
    # REMOTE_ADDR is what the server saw.
    return request.META.get("REMOTE_ADDR") or None


@dataclass
class Entry:
    action: str
    object_type: str
    object_id: str = ""
    patient_id: int | None = None
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def describe(obj: models.Model) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


def record(
    actor: Actor,
    action: str | Action,
    obj: models.Model | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
    patient_id: int | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    clinic_id: int | None = None,
) -> AuditEvent:
    if obj is not None:
        object_type, object_id = describe(obj)
    entry = Entry(
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        reason=reason,
        data=data or {},
    )
    return record_many(actor, [entry], clinic_id=clinic_id)[0]


def record_many(
    actor: Actor, entries: Iterable[Entry], *, clinic_id: int | None = None
) -> list[AuditEvent]:
    """Append events to their clinic's chain in one insert, holding that chain head's lock.

    Only writers of the same clinic wait on each other; other clinics have their own head."""
    entries = list(entries)
    if not entries:
        return []
    clinic = clinic_id if clinic_id is not None else actor.clinic_id
    chain = chain_for(clinic)
    # No savepoint: inside the action's transaction a failed audit write must fail the
    # action, not be rolled back on its own.
    with transaction.atomic(savepoint=False):
        head = lock_head(chain)
        now = timezone.now()
        events = []
        prev = head.last_hash
        for e in entries:
            event = AuditEvent(
                at=now,
                actor=actor.user,
                actor_label=actor.display,
                role=actor.role,
                clinic_id=clinic,
                patient_id=e.patient_id,
                object_type=e.object_type,
                object_id=e.object_id,
                action=e.action,
                ip=actor.ip,
                reason=e.reason,
                data=e.data,
                chain=chain,
                prev_hash=prev,
            )
            event.hash = event.compute_hash()
            prev = event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        AuditChainHead.objects.filter(pk=head.pk).update(
            last_hash=prev, count=head.count + len(events))
    return events


def lock_head(chain: str) -> AuditChainHead:
    """The chain's head row, locked until the transaction ends (created on first use)."""
    head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        # Two first writers of a new chain: the loser's insert fails on the unique chain
        # and it then waits on the winner's row, like any later writer.
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(chain=chain)
    return head
