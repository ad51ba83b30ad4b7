"""Access checks for views: signed in, member of the active clinic, role allows it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from puncta.accounts.roles import has_perm

from .http import ClinicRequest


def clinic_view(perm: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: ClinicRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated or request.membership is None:
                return redirect_to_login(request.get_full_path())
            if not has_perm(request.membership.role, perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
