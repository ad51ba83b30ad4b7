"""Error pages: a plain sentence, never a traceback."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 500: "server_error"}


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    if request.path.startswith("/api/"):  # the API answers JSON, even outside its routes
        return JsonResponse({"code": CODES[status], "message": text}, status=status)
    try:
        body: str = render_to_string(
            "web/error.html", {"title": title, "text": text, "status": status}, request
        )
    except Exception:  # the error page itself must never fail
        body = f"<h1>{title}</h1><p>{text}</p>"
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Any = None, message: str = "") -> HttpResponse:
    return _page(request, 400, _("Bad request"),
                 message or _("The request could not be understood."))


def forbidden(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(
        request, 403, _("Not allowed"), _("Your role in this clinic does not allow this.")
    )


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, 404, _("Not found"), _("There is nothing at this address."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(
        request, 500, _("Something went wrong"),
        _("Nothing was saved. Please try again; if it happens again, tell your administrator."),
    )
