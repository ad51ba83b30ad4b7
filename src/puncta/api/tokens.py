"""Issuing, listing and revoking API tokens: every issue and revoke in the audit log."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from puncta.accounts.models import TOKEN_DAYS_DEFAULT, ApiToken, Membership
from puncta.audit.models import Action
from puncta.audit.services import Actor, record

MAX_DAYS = 3660  # ten years: beyond that an expiry is no expiry


class TokenError(ValueError):
    """A token request that cannot be carried out, with a message a person understands."""


def token_issue(*, actor: Actor, membership: Membership, name: str,
                days: int = TOKEN_DAYS_DEFAULT) -> tuple[ApiToken, str]:
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"--days must be between 1 and {MAX_DAYS}, not {days}")
    name = name.strip()[:100] or "cli"
    with transaction.atomic():
        token, raw = ApiToken.issue(membership, name, days=days)
        record(actor, Action.CREATE, token, clinic_id=membership.clinic_id,
               data={"token": token.prefix, "user": membership.user.get_username(),
                     "expires_at": token.expires_at.isoformat(), "days": days})
    return token, raw


def token_revoke(*, actor: Actor, token: ApiToken, reason: str = "") -> bool:
    """Revoke a token; False when it was revoked already (nothing written)."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().select_related("membership").get(
            pk=token.pk)
        if locked.revoked_at is not None:
            return False
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        record(actor, Action.DELETE, locked, clinic_id=locked.membership.clinic_id,
               reason=reason, data={"token": locked.prefix, "revoked": True})
    token.revoked_at = locked.revoked_at
    return True


def tokens_listed(*, username: str = "") -> QuerySet[ApiToken]:
    qs = ApiToken.objects.select_related("membership__user", "membership__clinic").order_by(
        "id")
    return qs.filter(membership__user__username=username) if username else qs
