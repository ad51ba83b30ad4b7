"""Bearer-token authentication for the JSON API: a token belongs to one membership.

Tokens expire (``expires_at``) and can be revoked; their last use is kept to the minute.
Failed attempts are counted per address (``accounts.ratelimit``): past the limit the API
answers 429 until the window ends, so tokens cannot be guessed at speed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from puncta.accounts import ratelimit
from puncta.accounts.models import ApiToken
from puncta.accounts.roles import has_perm
from puncta.audit.services import client_ip

TOO_MANY = "Too many failed token attempts from this address; try again in a few minutes."


def failed_token_limit() -> ratelimit.Limit:
    count, seconds = settings.PUNCTA_TOKEN_FAILURE_RATE
    return ratelimit.Limit("api-token-failed", count, seconds)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.objects.find_active(token.strip()[:200])
        if found is None:
            # Only failures are counted: a valid token costs no extra query.
            if not ratelimit.hit(failed_token_limit(), client_ip(request) or "unknown"):
                raise HttpError(429, TOO_MANY)
            return None
        found.touch()
        request.user = found.membership.user
        request.membership = found.membership
        request.clinic = found.membership.clinic
        return found.membership


def require(request: HttpRequest, perm: str) -> None:
    """403 unless the token's role in its clinic allows ``perm``."""
    if not has_perm(request.membership.role, perm):
        raise HttpError(403, "Your role in this clinic does not allow this.")
