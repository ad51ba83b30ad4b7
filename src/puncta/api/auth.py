"""Bearer-token authentication for the JSON API: a token belongs to one membership."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from puncta.accounts.models import ApiToken
from puncta.accounts.roles import has_perm


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.objects.find_active(token.strip())
        if found is None:
            return None
        request.user = found.membership.user
        request.membership = found.membership
        request.clinic = found.membership.clinic
        return found.membership


def require(request: HttpRequest, perm: str) -> None:
    """403 unless the token's role in its clinic allows ``perm``."""
    if not has_perm(request.membership.role, perm):
        raise HttpError(403, "Your role in this clinic does not allow this.")
