"""Two-step sign-in (TOTP, django-otp) for staff: who must use it, and their devices.

Required for the roles in ``PUNCTA_MFA_REQUIRED_ROLES`` (in production by default the
physicians and the clinic administrators; nobody in demo, dev and test, so the demo
personas sign in with a password alone). Anyone may turn it on for themselves; once on,
it is asked at every sign-in. Recovery codes are a django-otp static device.
"""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .roles import Role

PRODUCTION_DEFAULT = frozenset({Role.PHYSICIAN, Role.CLINIC_ADMIN})
RECOVERY_CODES = 10
# What the session remembers about the user's second step, so pages do not ask the
# database on every request: "on" (a device to verify), "off" (none).
STATE_KEY = "puncta_mfa"


def required_roles() -> frozenset[str]:
    configured = getattr(settings, "PUNCTA_MFA_REQUIRED_ROLES", None)
    if configured is None:
        return PRODUCTION_DEFAULT if settings.PRODUCTION else frozenset()
    roles = frozenset(configured)
    unknown = roles - set(Role.values)
    if unknown:
        raise ImproperlyConfigured(
            f"PUNCTA_MFA_REQUIRED_ROLES: unknown role(s) {', '.join(sorted(unknown))} "
            f"(roles: {', '.join(Role.values)})")
    return roles


def mfa_required(role: str | None) -> bool:
    return role is not None and role in required_roles()


def has_mfa(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: Any) -> TOTPDevice:
    """The authenticator being set up (unconfirmed until a first code is right)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def manual_key(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    b32 = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(b32[i:i + 4] for i in range(0, len(b32), 4))


def confirm(device: TOTPDevice, code: str) -> list[str] | None:
    """Turn the authenticator on if ``code`` is right; returns new recovery codes."""
    if not device.verify_token(clean(code)):
        return None
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        return recovery_codes_issue(device.user)


def recovery_codes_issue(user: Any) -> list[str]:
    """New single-use recovery codes; the old ones stop working."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def mfa_reset(user: Any) -> int:
    """Remove the user's authenticator and recovery codes (they enrol again)."""
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        removed += StaticDevice.objects.filter(user=user).delete()[0]
    return removed


def clean(code: str) -> str:
    return "".join(code.split())[:32]


def enrolled_users(user_ids: list[int]) -> list[int]:
    return list(TOTPDevice.objects.filter(user_id__in=user_ids, confirmed=True)
                .values_list("user_id", flat=True))
