"""The append-only, hash-chained audit log.

Each event stores the SHA-256 of its own content and the previous event's hash, so a
changed or deleted row breaks the chain at that point (``puncta audit verify``). The
database also refuses UPDATE and DELETE on the table (triggers in the migrations).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


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
    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.PROTECT, null=True, related_name="+"
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
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["clinic", "patient_id", "-id"], name="audit_clinic_patient"),
            models.Index(fields=["clinic", "actor", "-id"], name="audit_clinic_actor"),
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
        return {
            "at": self.at.isoformat(),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "role": self.role,
            "clinic": self.clinic_id,
            "patient": self.patient_id,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "action": self.action,
            "ip": self.ip,
            "reason": self.reason,
            "data": self.data,
        }

    def compute_hash(self) -> str:
        payload = json.dumps(self.content(), sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256((self.prev_hash + payload).encode()).hexdigest()

class AuditChainHead(models.Model):
    """A single row holding the newest hash; locking it orders concurrent writers."""

    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain head ({self.count} events)"
