"""Request middleware for sessions, language, the active clinic and caching headers."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers

from . import mfa
from .http import ClinicRequest
from .selectors import active_membership

Handler = Callable[[HttpRequest], HttpResponse]

LOGIN_AT_KEY = "puncta_login_at"
RENEWED_AT_KEY = "puncta_renewed_at"
CLINIC_KEY = "puncta_clinic_id"


class SessionLifetimeMiddleware:
    """End a session 12 hours after login, however active it was (absolute limit), and
    renew its 15-minute idle limit (the cookie and the stored row's age).

    Renewing means saving the session. Saving it on every request would be one write per
    page and per HTMX fragment on the shared database; it is renewed instead when the last
    renewal is SESSION_RENEW_SECONDS old, so the idle limit is never longer than
    SESSION_COOKIE_AGE, at most that much shorter.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        now = time.time()
        started = session.get(LOGIN_AT_KEY)
        if started is not None and now - started > settings.SESSION_ABSOLUTE_SECONDS:
            session.flush()
        response = self.get_response(request)
        # Only a stored session is renewed (never create one for an anonymous visit), and
        # not one the view just ended (signing out empties it).
        if session.session_key and not session.is_empty() and \
                now - session.get(RENEWED_AT_KEY, 0) >= settings.SESSION_RENEW_SECONDS:
            session[RENEWED_AT_KEY] = now  # modified: SessionMiddleware saves, re-sends cookie
        return response


class UserLanguageMiddleware:
    """Speak the signed-in user's chosen language (after LocaleMiddleware's guess)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            request.LANGUAGE_CODE = user.language
            # override, not activate: the language ends with the request, it never leaks
            # into whatever the thread does next.
            with translation.override(user.language):
                response = self.get_response(request)
        else:
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


class MfaMiddleware:
    """Ask for the second step before any page: the code of a user who has turned it on,
    enrolment for a role that must have it. After django-otp's OTPMiddleware and
    ActiveClinicMiddleware (the role decides)."""

    # Signing in and out, the second step itself, public and token-authenticated doors.
    EXEMPT = ("/login/", "/logout/", "/account/mfa/verify/", "/static/", "/api/",
              "/intake/", "/language/")
    ENROL = "/account/mfa/"

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        state = request.session.get(mfa.STATE_KEY)
        if state is None:
            state = "on" if mfa.has_mfa(user) else "off"
            request.session[mfa.STATE_KEY] = state
        membership = getattr(request, "membership", None)
        if state == "on":
            target = "mfa_verify"
        elif mfa.mfa_required(membership.role if membership else None):
            target = "mfa_enrol"
        else:
            return self.get_response(request)
        # Signed in with the password only: the pages of the second step show no menu.
        request.mfa_pending = True
        if request.path.startswith(self.EXEMPT) or request.path == self.ENROL:
            return self.get_response(request)
        return _to(target, request)


def _to(name: str, request: HttpRequest) -> HttpResponse:
    url = f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}"
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
