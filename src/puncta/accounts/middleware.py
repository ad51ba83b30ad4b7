"""Request middleware for sessions, language, the active clinic and caching headers."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers

from .http import ClinicRequest
from .selectors import active_membership

Handler = Callable[[HttpRequest], HttpResponse]

LOGIN_AT_KEY = "puncta_login_at"
CLINIC_KEY = "puncta_clinic_id"


class SessionLifetimeMiddleware:
    """End a session 12 hours after login, however active it was (absolute limit).

    The 15-minute idle limit is the cookie age, renewed on every request.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = request.session.get(LOGIN_AT_KEY)
        if started is not None and time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
            request.session.flush()
        return self.get_response(request)


class UserLanguageMiddleware:
    """Speak the signed-in user's chosen language (after LocaleMiddleware's guess)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        response = self.get_response(request)
        if user is not None and user.is_authenticated:
            response.headers.setdefault("Content-Language", user.language)
        return response


class ActiveClinicMiddleware:
    """Attach the active membership and clinic; show times in the clinic's time zone."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: ClinicRequest) -> HttpResponse:
        # None outside a clinic (signed out, no membership): clinic_view refuses such a
        # request before any view reads them, so views see them set.
        request.membership = None  # type: ignore[assignment]
        request.clinic = None  # type: ignore[assignment]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            membership = active_membership(user, request.session.get(CLINIC_KEY))
            if membership is None and user.is_active:
                # No clinic at all: the account cannot see anything.
                logout(request)
            else:
                request.membership = membership  # type: ignore[assignment]
                request.clinic = membership.clinic if membership else None  # type: ignore[assignment]
        if request.clinic is not None:
            timezone.activate(zoneinfo.ZoneInfo(request.clinic.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class NoStoreForSignedInMiddleware:
    """Pages seen by a signed-in user may carry patient data: never cache them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            add_never_cache_headers(response)
            response.headers["Cache-Control"] = "no-store, no-cache, must-revalidate, private"
        return response
