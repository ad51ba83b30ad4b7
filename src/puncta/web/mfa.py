"""Two-step sign-in pages: enrol an authenticator (QR code and key), enter a code at
sign-in (or a recovery code), new recovery codes, and a clinic administrator's reset."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice

from puncta.accounts import mfa
from puncta.accounts.access import clinic_view
from puncta.accounts.models import Membership
from puncta.audit.models import Action
from puncta.audit.services import actor_from_request, record


def _next(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return "/"


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buf = io.BytesIO()
    image.save(buf)
    return buf.getvalue().decode()


def _audit(request: HttpRequest, action: str, user_pk: int, **data: object) -> None:
    record(actor_from_request(request), action, object_type="accounts.user",
           object_id=str(user_pk), data={"mfa": True, **data})


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step at sign-in: a code from the authenticator, or a recovery code."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(_next(request))
    if user.is_verified():
        return redirect(_next(request))
    if not mfa.has_mfa(user):  # reset meanwhile: enrol again (or carry on if not required)
        request.session[mfa.STATE_KEY] = "off"
        return redirect(_next(request))
    error = ""
    if request.method == "POST":
        device = match_token(user, mfa.clean(request.POST.get("code", "")))
        if device is None:
            error = _("That code is not right, or it has expired. Enter the code your "
                      "authenticator shows now, or one of your recovery codes.")
            _audit(request, Action.LOGIN_FAILED, user.pk)
        else:
            otp_login(request, device)
            recovery = isinstance(device, StaticDevice)
            _audit(request, Action.LOGIN, user.pk, method="recovery" if recovery else "totp")
            if recovery:
                messages.warning(request, _(
                    "You signed in with a recovery code; %(n)s left. Make new ones from "
                    "the two-step sign-in page.") % {"n": mfa.recovery_codes_left(user)})
            return redirect(_next(request))
    return render(request, "registration/mfa_verify.html",
                  {"error": error, "next": _next(request)}, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator: scan the QR code (or type the key), confirm with a code;
    the recovery codes are shown once."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if mfa.has_mfa(user):
        if not user.is_verified():
            return redirect("mfa_verify")
        return render(request, "registration/mfa_status.html", {
            "left": mfa.recovery_codes_left(user)})
    device = mfa.pending_device(user)
    error = ""
    if request.method == "POST":
        codes = mfa.confirm(device, request.POST.get("code", ""))
        if codes is None:
            error = _("That code is not right. Check the time on your phone and enter the "
                      "6-digit code the authenticator shows now.")
        else:
            otp_login(request, device)
            request.session[mfa.STATE_KEY] = "on"
            _audit(request, Action.UPDATE, user.pk, enrolled=True)
            return render(request, "registration/mfa_codes.html",
                          {"codes": codes, "next": _next(request), "enrolled": True})
    membership = getattr(request, "membership", None)
    return render(request, "registration/mfa_enrol.html", {
        "qr_svg": _qr_svg(device.config_url), "key": mfa.manual_key(device), "error": error,
        "required": mfa.mfa_required(membership.role if membership else None),
        "next": _next(request)}, status=400 if error else 200)


@require_POST
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login("/account/mfa/")
    if not (mfa.has_mfa(user) and user.is_verified()):
        return redirect("mfa_enrol")
    codes = mfa.recovery_codes_issue(user)
    _audit(request, Action.UPDATE, user.pk, recovery_codes="renewed")
    return render(request, "registration/mfa_codes.html",
                  {"codes": codes, "next": "/", "enrolled": False})


@clinic_view("mfa.reset")
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    """A clinic administrator removes a member's authenticator (lost phone): the member
    enrols again at the next sign-in."""
    members = list(Membership.objects.filter(clinic=request.clinic, is_active=True)
                   .select_related("user").order_by("user__last_name", "user__username"))
    if request.method == "POST":
        target = next((m for m in members if str(m.pk) == request.POST.get("member")), None)
        if target is None:
            raise PermissionDenied
        removed = mfa.mfa_reset(target.user)
        _audit(request, Action.DELETE, target.user_id, reset=True, removed=removed)
        messages.success(request, _("Two-step sign-in reset for %(user)s: they set it up "
                                    "again at their next sign-in.") % {"user": target.user})
        return redirect("mfa_reset")
    enrolled = set(mfa.enrolled_users([m.user_id for m in members]))
    return render(request, "registration/mfa_reset.html", {
        "rows": [{"m": m, "on": m.user_id in enrolled,
                  "required": mfa.mfa_required(m.role)} for m in members]})
