"""A request id on every request and every log line it causes, and one access line.

The id comes from the proxy's ``X-Request-ID`` when it is well-formed (so a request can be
followed from nginx to the app), otherwise a new one; it is sent back in the response
header. A context variable carries it to every log record, whatever logger wrote it
(RequestIdFilter). The access line names the method, the path without its query string
(queries carry names and dates of birth), the status, the time taken, the request id and
the user's id, never anything about a patient.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from .health import PATHS as HEALTH_PATHS
from .requestid import HEADER, incoming_id, request_id

Handler = Callable[[HttpRequest], HttpResponse]

access_log = logging.getLogger("puncta.access")


def _user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id, without loading a session nobody asked for (a lazy user
    is only read if something in the request already resolved it)."""
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty or not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped.pk


class RequestIdMiddleware:
    """First in MIDDLEWARE: every other middleware's log lines carry the id."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = incoming_id(request.headers.get(HEADER))
        request.request_id = rid  # type: ignore[attr-defined]
        # Kept until the response is finished (ops.apps: request_finished), not reset
        # here: Django logs a 4xx/5xx after the middleware returned.
        request_id.set(rid)
        started = time.perf_counter()
        response = self.get_response(request)
        response[HEADER] = rid
        if not (request.path_info.rstrip("/") in HEALTH_PATHS
                and response.status_code == 200):  # a probe every few seconds is noise
            access_log.info(
                "%s %s %s", request.method, request.path, response.status_code,
                extra={"method": request.method, "path": request.path,
                       "status": response.status_code,
                       "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                       "user_id": _user_id(request)})
        return response
