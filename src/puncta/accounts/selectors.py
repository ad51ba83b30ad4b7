"""Reads about users and memberships."""

from __future__ import annotations

from django.db.models import QuerySet

from .backends import MAX_MEMBERSHIPS
from .models import Membership, User
from .roles import roles_with


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.select_related("clinic")
        .filter(user=user, is_active=True)
        .order_by("clinic__name")
    )


def active_membership(user: User, clinic_id: int | None) -> Membership | None:
    """The membership for the clinic chosen in the session, else the user's first."""
    # Loaded with the user by the authentication backend on every request.
    memberships = getattr(user, "active_memberships", None)
    if memberships is None:
        memberships = list(memberships_of(user)[:MAX_MEMBERSHIPS])
    for m in memberships:
        if m.clinic_id == clinic_id:
            return m
    return memberships[0] if memberships else None


def clinic_physicians(clinic_id: int) -> QuerySet[Membership]:
    return Membership.objects.select_related("user").filter(
        clinic_id=clinic_id, role__in=roles_with("procedure.supervise"), is_active=True,
        user__is_active=True
    )
