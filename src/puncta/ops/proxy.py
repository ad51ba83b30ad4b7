"""The client's address behind trusted reverse proxies.

Behind nginx every request reaches the app from the proxy's address, so per-address rate
limits, the sign-in lockout (django-axes) and the audit log would all see one client.
When the peer is in PUNCTA_TRUSTED_PROXIES, REMOTE_ADDR becomes the right-most address of
X-Forwarded-For that is not itself a trusted proxy (the left part is whatever the client
claimed and is never believed). With no trusted proxies nothing changes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Handler = Callable[[HttpRequest], HttpResponse]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(spec: list[str]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in spec)
    except ValueError as exc:
        raise ImproperlyConfigured(f"PUNCTA_TRUSTED_PROXIES: {exc}") from None


def _trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_address(remote: str, forwarded_for: str, trusted: tuple[Network, ...]) -> str:
    if not trusted or not _trusted(remote, trusted):
        return remote
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # garbage from the client side: keep what we saw
    return remote


class ForwardedForMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.trusted = networks(settings.PUNCTA_TRUSTED_PROXIES)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.trusted:
            request.META["REMOTE_ADDR"] = client_address(
                request.META.get("REMOTE_ADDR", ""),
                request.META.get("HTTP_X_FORWARDED_FOR", ""), self.trusted)
        return self.get_response(request)
