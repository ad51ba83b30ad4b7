"""Users, their membership of clinics (with a role) and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from puncta.clinics.models import Clinic

from .roles import CLINICAL_ROLES, Role


class Language(models.TextChoices):
    EN = "en", _("English")
    FR = "fr", _("French")


class User(AbstractUser):
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.EN
    )
    # Set on the signed-in user of a request by backends.MembershipBackend.
    active_memberships: list[Membership] | None = None

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    is_medical_director = models.BooleanField(_("medical director"), default=False)
    registration_number = models.CharField(
        _("professional registration number"), max_length=64, blank=True
    )
    registration_body = models.CharField(
        _("registration body"), max_length=200, blank=True,
        help_text=_("For example CPSO, CNO, CPSBC."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="membership_unique"),
            # Only a physician can be the clinic's medical director.
            models.CheckConstraint(
                condition=models.Q(is_medical_director=False) | models.Q(role=Role.PHYSICIAN.value),
                name="medical_director_is_physician",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.clinic}"

    @property
    def is_clinical(self) -> bool:
        return self.role in CLINICAL_ROLES


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


TOKEN_DAYS_DEFAULT = 90
# Recording every use would write on every API call; a minute's precision is enough to
# tell a dormant token from a live one.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def find_active(self, raw: str) -> ApiToken | None:
        return (
            self.select_related("membership__user", "membership__clinic")
            .filter(
                key_hash=_hash_token(raw),
                revoked_at__isnull=True,
                expires_at__gt=timezone.now(),
                membership__is_active=True,
                membership__user__is_active=True,
            )
            .first()
        )


class ApiToken(models.Model):
    """A bearer token for the JSON API, bound to one membership (user + clinic).

    Only the SHA-256 of the token is stored; the token itself is shown once.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, membership: Membership, name: str, *, days: int = TOKEN_DAYS_DEFAULT
              ) -> tuple[ApiToken, str]:
        """A new token valid ``days`` days. Audited callers use ``api.tokens.token_issue``."""
        raw = "pct_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            membership=membership, name=name, prefix=raw[:8], key_hash=_hash_token(raw),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        return token, raw

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])

    def touch(self) -> None:
        """Record a use, at most once a minute (one UPDATE, only when due)."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= timezone.now() else "active"


class RateCounter(models.Model):
    """Requests counted per key (e.g. an address and a door) in a fixed window.

    In the database, not in process memory, so every worker of every server counts the
    same requests (``accounts.ratelimit``).
    """

    key = models.CharField(max_length=200)
    window = models.BigIntegerField()  # the window's start, in seconds since the epoch
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="rate_counter_unique"),
        ]
        indexes = [models.Index(fields=["window"], name="rate_counter_window")]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window}: {self.count}"
