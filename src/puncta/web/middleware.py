"""Bench-mode instrumentation: SQL queries and app CPU per request (PUNCTA_BENCH=1 only)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse


class QueryCountHeaderMiddleware:
    """``X-Puncta-Queries``: SQL statements the request ran; ``X-Puncta-CPU-us``: CPU
    microseconds this thread spent in the middleware stack and view (a gunicorn sync
    worker serves one request at a time on one thread, so this is the request's app CPU,
    not wall time: it does not grow while the worker waits for the database)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0
        cpu_start = time.thread_time_ns()

        def counter(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                    context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response.headers["X-Puncta-Queries"] = str(count)
        response.headers["X-Puncta-CPU-us"] = str((time.thread_time_ns() - cpu_start) // 1000)
        return response


class RefuseNulMiddleware:
    """Refuse a NUL character in any query or form value, before a view reads it.

    PostgreSQL cannot store NUL in text or JSON; Django's form fields already refuse it,
    but searches and a few pages read parameters directly. One check at the door covers
    them all (the API's parser does the same for JSON): a 400 page naming the field."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return self.get_response(request)  # the API's parser answers JSON
        field = _nul_field(request)
        if field is not None:
            from django.utils.translation import gettext as _

            from .errors import bad_request

            return bad_request(request, message=_(
                "The field “%(field)s” contains a NUL character (\\0), which cannot be "
                "stored. Remove it and send the form again.") % {"field": field})
        return self.get_response(request)


def _nul_field(request: HttpRequest) -> str | None:
    sources = [request.GET]
    if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.POST)
    for params in sources:
        for key, values in params.lists():
            if "\x00" in key or any("\x00" in v for v in values if isinstance(v, str)):
                return key.replace("\x00", "\\0")
    if "\x00" in request.path:
        return "path"
    return None
