"""Running on several machines: health and readiness, the worker's heartbeat, request ids
and JSON logs, the client's address behind a proxy, the shared cache and session settings,
and the idle session renewed without a write on every request."""

from __future__ import annotations

import datetime as dt
import json
import logging
import runpy
import sys

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import OperationalError, connection
from django.db.models.functions import Now
from django.test import Client, RequestFactory
from django.urls import reverse

import puncta.settings
from puncta.accounts.middleware import RENEWED_AT_KEY
from puncta.ops import health
from puncta.ops.cachetable import CACHE_TABLE
from puncta.ops.heartbeat import Heartbeat, beat
from puncta.ops.logformat import JsonFormatter
from puncta.ops.models import WorkerHeartbeat
from puncta.ops.proxy import ForwardedForMiddleware, client_address, networks
from puncta.ops.requestid import RequestIdFilter, incoming_id, request_id

from .factories import PASSWORD

T0 = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)


# --- /healthz ------------------------------------------------------------------------------

def test_healthz_answers_without_database_session_or_known_host(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        r = Client().get("/healthz", HTTP_HOST="10.0.0.7:8000")  # the LB asks by address
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert "sessionid" not in r.cookies and r["Cache-Control"] == "no-store"
    assert Client().post("/healthz").status_code == 405


# --- /readyz -------------------------------------------------------------------------------

@pytest.fixture
def fresh_migration_check(monkeypatch):
    monkeypatch.setattr(health, "_all_applied", False)


def test_readyz_needs_a_worker_heartbeat(db, fresh_migration_check, caplog):
    with caplog.at_level(logging.INFO):
        r = Client().get("/readyz", HTTP_HOST="10.0.0.7")
    assert r.status_code == 503
    # Not an ERROR at every probe: the access line alone records the 503.
    assert [x.name for x in caplog.records if x.levelno >= logging.WARNING] == []
    body = r.json()
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"
    assert "no worker" in body["checks"]["worker"]

    beat("w1", T0)
    r = Client().get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready",
                        "checks": {"database": "ok", "migrations": "ok", "worker": "ok"}}


def test_readyz_names_a_stale_heartbeat(db, settings):
    settings.PUNCTA_READY_WORKER_MINUTES = 5
    beat("w1", T0)
    WorkerHeartbeat.objects.update(seen_at=Now() - dt.timedelta(minutes=7))
    r = Client().get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["worker"].startswith("no heartbeat for 7 min")
    settings.PUNCTA_READY_WORKER_MINUTES = 0  # the worker left out of readiness
    assert Client().get("/readyz").status_code == 200


def test_readyz_names_unapplied_migrations_and_caches_only_success(db, monkeypatch,
                                                                   fresh_migration_check):
    beat("w1", T0)
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan",
                        lambda self, targets: [("a", False), ("b", False)])
    r = Client().get("/readyz")
    assert r.status_code == 503 and r.json()["checks"]["migrations"].startswith("2 unapplied")
    monkeypatch.undo()
    health._all_applied = False
    assert Client().get("/readyz").status_code == 200
    calls = []
    monkeypatch.setattr(health.MigrationExecutor, "__init__",
                        lambda self, *a, **k: calls.append(1))
    assert Client().get("/readyz").status_code == 200  # once all applied, not read again
    assert calls == []


def test_readyz_names_an_unreachable_database(db, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", Unreachable())
    r = Client().get("/readyz")
    assert r.status_code == 503
    checks = r.json()["checks"]
    assert checks["database"] == "unreachable (OperationalError)"
    assert checks["worker"].startswith("not checked")


# --- the worker's heartbeat ----------------------------------------------------------------

@pytest.mark.django_db(transaction=True)  # the task loop closes its connection
def test_worker_beats_on_start_and_from_its_thread():
    call_command("worker", "--batch", verbosity=0)
    assert WorkerHeartbeat.objects.count() == 1
    heart = Heartbeat(started_at=T0, every=0.01)
    heart.once()
    first = WorkerHeartbeat.objects.get(worker_id=heart.worker_id).seen_at
    beat(heart.worker_id, T0)
    assert WorkerHeartbeat.objects.get(worker_id=heart.worker_id).seen_at >= first
    assert WorkerHeartbeat.objects.count() == 2


def test_a_periodic_round_that_fails_on_the_database_is_logged_and_retried(caplog):
    from django.db import OperationalError

    from puncta.ops.periodic import Periodic

    class Flaky(Periodic):
        failure = "flaky work not done"
        rounds = 0

        def work(self) -> int:
            self.rounds += 1
            if self.rounds == 1:
                raise OperationalError("the database went away")
            return self.rounds

    flaky = Flaky("flaky", every=60)
    assert flaky.once() is None
    assert "flaky work not done: the database went away" in caplog.text
    assert flaky.once() == 2


# --- request ids and logs ------------------------------------------------------------------

def test_incoming_request_id_kept_only_when_well_formed():
    assert incoming_id("0123456789abcdef0123456789abcdef") == "0123456789abcdef0123456789abcdef"
    for bad in (None, "", "short", "has space in it", "x" * 200, "abc\ninjected=1",
                '{"json":1}'):
        made = incoming_id(bad)
        assert made != bad and len(made) == 32 and int(made, 16) >= 0


def test_request_id_reaches_response_and_every_log_record_of_the_request(db):
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record)

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        r = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="nginx-5f2a9c1b7d")
        r2 = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="bad id")
    finally:
        root.removeHandler(handler)
    assert r["X-Request-ID"] == "nginx-5f2a9c1b7d"
    assert r2["X-Request-ID"] != "bad id" and len(r2["X-Request-ID"]) == 32
    not_found = [x for x in seen if x.name == "django.request"]
    assert [x.request_id for x in not_found] == ["nginx-5f2a9c1b7d", r2["X-Request-ID"]]
    assert request_id.get() == "-"  # nothing leaks into the next request on this thread


def test_one_access_line_per_request_without_query_string(personas, caplog):
    nurse = Client()
    nurse.post(reverse("login"), {"username": "nurse", "password": PASSWORD})
    with caplog.at_level(logging.INFO, logger="puncta.access"):
        Client().get("/login/?next=/patients/%3Fq%3DTremblay")
        nurse.get(reverse("web:patient_list") + "?q=Tremblay")
        Client().get("/healthz")  # probes are not logged
    lines = [r for r in caplog.records if r.name == "puncta.access"]
    assert [(r.method, r.path, r.status, r.user_id) for r in lines] == [
        ("GET", "/login/", 200, None),
        ("GET", reverse("web:patient_list"), 200, personas.nurse.user.pk)]
    assert all(isinstance(r.duration_ms, float) for r in lines)
    assert "Tremblay" not in " ".join(r.getMessage() for r in lines)


def test_json_formatter_one_object_per_line():
    formatter = JsonFormatter()
    record = logging.LogRecord("puncta.access", logging.INFO, __file__, 1, "%s %s", ("GET", "/"),
                               None)
    record.request_id = "req-12345678"
    record.status = 200
    record.request = object()  # Django's request logger passes the request: never written
    out = json.loads(formatter.format(record))
    assert out["message"] == "GET /" and out["level"] == "INFO"
    assert out["logger"] == "puncta.access" and out["request_id"] == "req-12345678"
    assert out["status"] == 200 and "request" not in out
    assert out["time"].endswith("Z")
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = formatter.format(failed)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["exception"]


# --- the client's address behind a proxy ---------------------------------------------------

def test_client_address_believes_only_trusted_proxies():
    trusted = networks(["10.0.0.0/8", "127.0.0.1"])
    assert client_address("10.0.0.2", "203.0.113.9", trusted) == "203.0.113.9"
    # The left part is the client's own claim: the right-most untrusted hop is the client.
    assert client_address("10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.3", trusted) == "203.0.113.9"
    assert client_address("198.51.100.1", "203.0.113.9", trusted) == "198.51.100.1"
    assert client_address("10.0.0.2", "not-an-ip", trusted) == "10.0.0.2"
    assert client_address("10.0.0.2", "", trusted) == "10.0.0.2"
    assert client_address("10.0.0.2", "203.0.113.9", ()) == "10.0.0.2"
    with pytest.raises(ImproperlyConfigured):
        networks(["10.0.0.0/33"])


def test_forwarded_for_middleware_sets_remote_addr(settings):
    settings.PUNCTA_TRUSTED_PROXIES = ["127.0.0.1"]
    seen = {}
    middleware = ForwardedForMiddleware(lambda request: seen.update(ip=request.META["REMOTE_ADDR"]))
    middleware(RequestFactory().get("/", REMOTE_ADDR="127.0.0.1",
                                    HTTP_X_FORWARDED_FOR="198.51.100.20"))
    assert seen["ip"] == "198.51.100.20"


# --- the idle session: renewed once a minute, not written on every request ------------------

def _session_cookie_sent(response) -> bool:
    return "sessionid" in response.cookies and response.cookies["sessionid"].value != ""


def test_session_renewed_once_a_minute_and_ends_after_15_idle_minutes(personas):
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        client.post(reverse("login"), {"username": "nurse", "password": PASSWORD})
        assert client.session[RENEWED_AT_KEY] == T0.timestamp()
        client.get(reverse("web:dashboard"))  # the first page notes the sign-in state
        clock.shift(20)
        r = client.get(reverse("web:dashboard"))
        assert r.status_code == 200 and not _session_cookie_sent(r)  # no write, no cookie
        clock.shift(45)
        r = client.get(reverse("web:dashboard"))
        assert r.status_code == 200 and _session_cookie_sent(r)  # renewed: 15 more minutes
        assert client.session[RENEWED_AT_KEY] == T0.timestamp() + 65
        clock.shift(14 * 60 + 50)
        assert client.get(reverse("web:dashboard")).status_code == 200
        clock.shift(15 * 60 + 1)  # idle longer than 15 minutes: signed out
        r = client.get(reverse("web:dashboard"))
        assert r.status_code == 302 and r["Location"].startswith(reverse("login"))


def test_anonymous_visit_creates_no_session(db):
    r = Client().get(reverse("login"))
    assert "sessionid" not in r.cookies


# --- shared cache, sessions and PgBouncer settings -------------------------------------------

def _settings_with(monkeypatch, tmp_path, **env):
    for name in ("PUNCTA_CACHE_URL", "PUNCTA_SESSION_ENGINE", "PUNCTA_DB_POOLING",
                 "PUNCTA_DB_CONN_MAX_AGE", "PUNCTA_LOG_FORMAT", "PUNCTA_MEDIA_STORAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUNCTA_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(puncta.settings.__file__)


def test_cache_and_session_follow_the_environment(monkeypatch, tmp_path):
    s = _settings_with(monkeypatch, tmp_path)
    assert s["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")  # dev and tests only
    assert s["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert s["LOG_FORMAT"] == "text"
    s = _settings_with(monkeypatch, tmp_path, PUNCTA_CACHE_URL="redis://cache:6379/1")
    assert s["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert s["CACHES"]["default"]["LOCATION"] == "redis://cache:6379/1"
    assert s["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    s = _settings_with(monkeypatch, tmp_path, PUNCTA_CACHE_URL="db")
    assert s["CACHES"]["default"]["LOCATION"] == CACHE_TABLE
    assert s["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    s = _settings_with(monkeypatch, tmp_path, PUNCTA_CACHE_URL="db",
                       PUNCTA_SESSION_ENGINE="cached_db")
    assert s["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


@pytest.mark.parametrize(("env", "named"), [
    ({"PUNCTA_CACHE_URL": "memcached://x"}, "PUNCTA_CACHE_URL"),
    ({"PUNCTA_SESSION_ENGINE": "cached_db"}, "needs a shared cache"),
    ({"PUNCTA_SESSION_ENGINE": "file"}, "PUNCTA_SESSION_ENGINE"),
    ({"PUNCTA_DB_POOLING": "pgpool"}, "PUNCTA_DB_POOLING"),
    ({"PUNCTA_DB_CONN_MAX_AGE": "soon"}, "PUNCTA_DB_CONN_MAX_AGE"),
    ({"PUNCTA_LOG_FORMAT": "xml"}, "PUNCTA_LOG_FORMAT"),
    ({"PUNCTA_MEDIA_STORAGE": "x.Storage", "PUNCTA_MEDIA_STORAGE_OPTIONS": "[1]"},
     "PUNCTA_MEDIA_STORAGE_OPTIONS"),
])
def test_bad_multi_machine_settings_are_named(monkeypatch, tmp_path, env, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        _settings_with(monkeypatch, tmp_path, **env)


def test_pgbouncer_transaction_pooling_settings(monkeypatch, tmp_path):
    s = _settings_with(monkeypatch, tmp_path, DATABASE_URL="postgres://u@pgbouncer:6432/puncta",
                       PUNCTA_DB_POOLING="pgbouncer", PUNCTA_DB_CONN_MAX_AGE="300")
    db = s["DATABASES"]["default"]
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert db["CONN_MAX_AGE"] == 300 and db["CONN_HEALTH_CHECKS"] is True
    s = _settings_with(monkeypatch, tmp_path, PUNCTA_MEDIA_STORAGE="storages.backends.s3.S3Storage",
                       PUNCTA_MEDIA_STORAGE_OPTIONS='{"bucket_name": "puncta"}')
    assert s["STORAGES"]["default"] == {"BACKEND": "storages.backends.s3.S3Storage",
                                        "OPTIONS": {"bucket_name": "puncta"}}


def test_production_refuses_a_per_process_cache(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="PUNCTA_CACHE_URL=locmem"):
        _settings_with(monkeypatch, tmp_path, PUNCTA_MODE="production", PUNCTA_CACHE_URL="locmem",
                       SECRET_KEY="k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
                       ALLOWED_HOSTS="clinic.example.org",
                       DATABASE_URL="postgres://u@db/puncta", PUNCTA_AUDIT_KEY="a" * 40)
    s = _settings_with(monkeypatch, tmp_path, PUNCTA_MODE="production",
                       SECRET_KEY="k" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
                       ALLOWED_HOSTS="clinic.example.org",
                       DATABASE_URL="postgres://u@db/puncta", PUNCTA_AUDIT_KEY="a" * 40)
    assert s["CACHES"]["default"]["BACKEND"].endswith("DatabaseCache")
    assert s["LOG_FORMAT"] == "json" and s["DATABASES"]["default"]["CONN_MAX_AGE"] == 60


def test_migrate_creates_the_database_cache_table(db, settings):
    assert CACHE_TABLE in connection.introspection.table_names()
    from django.core.cache.backends.db import DatabaseCache

    cache = DatabaseCache(CACHE_TABLE, {})
    cache.set("k", {"v": 1}, 60)
    assert cache.get("k") == {"v": 1}
