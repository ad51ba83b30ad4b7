"""The append-only, hash-chained audit log.

Each event stores the SHA-256 of its own content and the previous event's hash, so a
changed or deleted row breaks the chain at that point (``puncta audit verify``).

An event is written in the transaction of the action it records, *unsealed* (no link
yet): writers never wait on each other. Sealing (``seal.py``) then links the committed
events of a chain, oldest first, in one short transaction per batch: it gives each its
position (``seq``), the previous hash and its own hash. The database lets an UPDATE do
exactly that and nothing else (the triggers of migration 0004), so an unsealed event is
as append-only as a sealed one. The
database also refuses UPDATE, DELETE and TRUNCATE on the table (triggers in the
migrations), and signed checkpoints outside the database (``checkpoints.py``) catch what
someone able to rewrite the whole table could do.

There is one chain per clinic (events without a clinic go to the ``system`` chain), so
clinics never wait on each other to write; events written before chains were split stay
in the ``legacy`` chain, verified as they were written.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64
LEGACY_CHAIN = "legacy"
SYSTEM_CHAIN = "system"


def chain_for(clinic_id: int | None) -> str:
    """The chain an event of this clinic (or of no clinic) is appended to."""
    return SYSTEM_CHAIN if clinic_id is None else f"clinic:{clinic_id}"


def event_content(*, at: Any, actor_id: int | None, actor_label: str, role: str,
                  clinic_id: int | None, patient_id: int | None, object_type: str,
                  object_id: str, action: str, ip: str | None, reason: str,
                  data: Any) -> dict[str, Any]:
    """The fields the hash covers, in a stable, JSON-serialisable form (the one definition:
    the application and the bulk seed both hash through it)."""
    return {
        "at": at.isoformat(),
        "actor": actor_id,
        "actor_label": actor_label,
        "role": role,
        "clinic": clinic_id,
        "patient": patient_id,
        "object_type": object_type,
        "object_id": object_id,
        "action": action,
        "ip": ip,
        "reason": reason,
        "data": data,
    }


def chain_hash(prev_hash: str, content: dict[str, Any]) -> str:
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


class Action(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    READ = "read", _("viewed")
    LIST = "list", _("listed")
    LOGIN = "login", _("signed in")
    LOGIN_FAILED = "login_failed", _("failed sign-in")
    LOGOUT = "logout", _("signed out")
    EXPORT = "export", _("exported")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("when"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_label = models.CharField(_("who"), max_length=200)
    role = models.CharField(_("role"), max_length=32, blank=True)
    # Every event is written twice (inserted, then sealed, which touches every index): no
    # index of its own, the (clinic, …) indexes below start with it.
    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    # Kept as a plain id (not a foreign key) so the log outlives and never blocks the
    # records it describes.
    patient_id = models.BigIntegerField(_("patient"), null=True, db_index=True)
    object_type = models.CharField(_("record type"), max_length=64)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    ip = models.GenericIPAddressField(_("from"), null=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    # Not covered by the hash: moving an event to another chain breaks both chains' links.
    chain = models.CharField(max_length=40)
    # Null until sealed. ``seq`` is the event's position in its chain (1-based); events
    # chained before sealing existed (inline, in id order) have a hash and no seq.
    seq = models.BigIntegerField(null=True)
    # NULL, not "": unsealed events share no value under the unique constraint.
    prev_hash = models.CharField(max_length=64, null=True)  # noqa: DJ001
    hash = models.CharField(max_length=64, unique=True, null=True)  # noqa: DJ001

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["clinic", "patient_id", "-id"], name="audit_clinic_patient"),
            models.Index(fields=["clinic", "actor", "-id"], name="audit_clinic_actor"),
            models.Index(fields=["chain", "id"], name="audit_chain_order"),
            models.Index(fields=["chain", "seq"], name="audit_chain_seq"),
            # What sealing looks for: small, whatever the size of the log.
            models.Index(fields=["chain", "id"], name="audit_unsealed",
                         condition=models.Q(hash__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Audit events are append-only.")

    def content(self) -> dict[str, Any]:
        """The fields the hash covers, in a stable, JSON-serialisable form."""
        return event_content(
            at=self.at, actor_id=self.actor_id, actor_label=self.actor_label, role=self.role,
            clinic_id=self.clinic_id, patient_id=self.patient_id,
            object_type=self.object_type, object_id=self.object_id, action=self.action,
            ip=self.ip, reason=self.reason, data=self.data,
        )

    @property
    def sealed(self) -> bool:
        return self.hash is not None

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash or "", self.content())


class AuditChainHead(models.Model):
    """One row per chain holding its newest hash; locking it orders that chain's writers
    (and only them: another clinic's chain has its own row)."""

    chain = models.CharField(max_length=40, unique=True)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain {self.chain} ({self.count} events)"
