"""Signing in with a password, and finding the signed-in user on each request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from .models import Membership

# A user belongs to a handful of clinics; the clinic switcher lists at most this many.
MAX_MEMBERSHIPS = 50


class MembershipBackend(ModelBackend):
    """Django's password backend, except that the signed-in user is loaded together with
    their active memberships (and clinics) in one query: every page needs both, and the
    active clinic is chosen from them (``selectors.active_membership``)."""

    def get_user(self, user_id: Any) -> Any:
        memberships = list(
            Membership.objects.select_related("user", "clinic")
            .filter(user_id=user_id, is_active=True)
            .order_by("clinic__name")[:MAX_MEMBERSHIPS]
        )
        if not memberships:
            return super().get_user(user_id)
        user = memberships[0].user
        for m in memberships:
            m.user = user
        user.active_memberships = memberships
        return user if self.user_can_authenticate(user) else None
