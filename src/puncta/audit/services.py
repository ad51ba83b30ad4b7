"""Writing audit events. Call inside the transaction of the action being audited:
if the audit write fails, the action fails with it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import Action, AuditEvent, chain_for
from .seal import seal_soon


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
    """Append events to their clinic's chain, in the caller's transaction, with no lock.

    They are inserted unsealed (one insert) and sealed after the transaction commits
    (``seal.seal_soon``): writers of one clinic no longer wait for each other's commit."""
    entries = list(entries)
    if not entries:
        return []
    clinic = clinic_id if clinic_id is not None else actor.clinic_id
    chain = chain_for(clinic)
    now = timezone.now()
    events = [
        AuditEvent(
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
        )
        for e in entries
    ]
    # No savepoint: inside the action's transaction a failed audit write must fail the
    # action, not be rolled back on its own.
    with transaction.atomic(savepoint=False):
        AuditEvent.objects.bulk_create(events)
        transaction.on_commit(partial(seal_soon, chain), robust=True)
    return events
