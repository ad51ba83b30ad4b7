"""Sign-in events go to the audit log; the login time starts the 12-hour session limit."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from puncta.accounts.middleware import LOGIN_AT_KEY
from puncta.audit.models import Action
from puncta.audit.services import Actor, client_ip, record


@receiver(user_logged_in)
def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None:
        return
    request.session[LOGIN_AT_KEY] = time.time()
    record(
        Actor(user=user, ip=client_ip(request)), Action.LOGIN,
        object_type="accounts.user", object_id=str(user.pk),
    )


@receiver(user_logged_out)
def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or user is None:
        return
    record(
        Actor(user=user, ip=client_ip(request)), Action.LOGOUT,
        object_type="accounts.user", object_id=str(user.pk),
    )


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    record(
        Actor(ip=client_ip(request) if request else None, label="anonymous"),
        Action.LOGIN_FAILED, object_type="accounts.user", data={"username": username},
    )
