"""``/healthz`` and ``/readyz`` for load balancers and monitoring.

Answered by a middleware placed before every other one but the request id: no session,
no user, no host check (a load balancer asks by address), no HTTPS redirect, no audit,
and never patient data.

- ``/healthz``: the process answers. No database.
- ``/readyz``: the database answers, every migration is applied, and a ``puncta worker``
  beat within PUNCTA_READY_WORKER_MINUTES (0 leaves the worker out). 200
  ``{"status": "ready", "checks": {...}}`` or 503 ``{"status": "not ready", ...}`` with the
  failed check named.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models.functions import Now
from django.http import HttpRequest, HttpResponse

from .models import WorkerHeartbeat

Handler = Callable[[HttpRequest], HttpResponse]

PATHS = ("/healthz", "/readyz")

# Loading the migration graph reads every migration file: done until it finds nothing
# unapplied, then never again in this process (migrations are applied before a new
# release's code starts; a process never sees one appear under it).
_all_applied = False


def _json(status: int, body: dict[str, object]) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def check_database() -> str | None:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
    except DatabaseError as exc:
        return f"unreachable ({type(exc).__name__})"
    return None


def check_migrations() -> str | None:
    global _all_applied
    if _all_applied:
        return None
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        return f"{len(pending)} unapplied (run 'puncta migrate')"
    _all_applied = True
    return None


def check_worker() -> str | None:
    minutes = settings.PUNCTA_READY_WORKER_MINUTES
    if not minutes:
        return None
    row = (WorkerHeartbeat.objects.annotate(db_now=Now()).order_by("-seen_at")
           .values("seen_at", "db_now").first())
    if row is None:
        return "no worker has run (start 'puncta worker')"
    age = row["db_now"] - row["seen_at"]
    if age > dt.timedelta(minutes=minutes):
        return f"no heartbeat for {int(age.total_seconds() // 60)} min (limit {minutes})"
    return None


def readiness() -> tuple[bool, dict[str, str]]:
    checks: dict[str, str] = {}
    problem = check_database()
    checks["database"] = problem or "ok"
    if problem is None:
        for name, check in (("migrations", check_migrations), ("worker", check_worker)):
            try:
                checks[name] = check() or "ok"
            except DatabaseError as exc:
                checks[name] = f"failed ({type(exc).__name__})"
    else:
        checks["migrations"] = checks["worker"] = "not checked (no database)"
    return all(v == "ok" for v in checks.values()), checks


class HealthMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/")
        if path not in PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return _json(405, {"status": "method not allowed"})
        if path == "/healthz":
            return _json(200, {"status": "ok"})
        ready, checks = readiness()
        response = _json(200 if ready else 503,
                         {"status": "ready" if ready else "not ready", "checks": checks})
        # A 503 here is an answer, not a server error: the access line records it; Django
        # would otherwise log an ERROR with each probe of the load balancer.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response
