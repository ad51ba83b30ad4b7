"""Two real app servers (``puncta serve``, gunicorn) on one PostgreSQL database, as on two
machines behind a load balancer: nothing a request relies on may live in one process.

- a session signed in on server A is accepted by server B, and signing out on B ends it
  on A (sessions in the database, read through the shared cache);
- two bookings of one slot at the same moment, one through each server: exactly one
  succeeds, the other is refused with ``slot.taken`` (the lock is PostgreSQL's);
- a chart saved through A with version v refuses a save through B that still holds v
  (optimistic version), and once signed through A cannot be edited through B (locked).

PostgreSQL only: the issue is about several machines on one PostgreSQL; SQLite is one
file on one machine. CI runs this in its PostgreSQL pass (``make test``).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import zoneinfo
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from puncta.accounts.models import ApiToken
from puncta.charting import services as charting
from puncta.ops.heartbeat import beat
from puncta.scheduling.models import Appointment
from puncta.scheduling.series import propose_series

from .charting.conftest import book, make_lot
from .factories import PASSWORD
from .scheduling.conftest import acne_plan, actor_of, clinic_ready, ready_patient  # noqa: F401

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="several app servers share one PostgreSQL "
                       "database; runs in the PostgreSQL pass of make test"),
    pytest.mark.django_db(transaction=True),  # committed: the servers must see the rows
]

TZ = zoneinfo.ZoneInfo("America/Toronto")
DAY = dt.date(2026, 11, 23)  # the charted session's day (a Monday); bookings are later
CLOCK = dt.datetime.combine(DAY, dt.time(18, 30), tzinfo=TZ)
ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def request(self, method: str, path: str, *, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                            r.headers.get_all("Set-Cookie") or [], r.read())
        finally:
            conn.close()

    def api(self, method: str, path: str, token: str, payload: dict | None = None) -> Response:
        return self.request(method, f"/api/v1{path}", body=json.dumps(payload or {}).encode(),
                            headers={"Authorization": f"Bearer {token}",
                                     "Content-Type": "application/json"})


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    set_cookies: list[str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Browser:
    """One person's cookies, sent to whichever server the load balancer picks."""
    cookies: dict[str, str] = field(default_factory=dict)

    def send(self, server: Server, method: str, path: str,
             form: dict[str, str] | None = None) -> Response:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        r = server.request(method, path, body=body, headers=headers)
        for raw in r.set_cookies:
            for name, morsel in SimpleCookie(raw).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return r


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    d = connection.settings_dict
    auth = d["USER"] + (f":{d['PASSWORD']}" if d["PASSWORD"] else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


def _wait_healthy(server: Server, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"server {server.name} exited: {server.log.read_text()[-2000:]}")
        try:
            if server.request("GET", "/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"server {server.name} not healthy in {START_TIMEOUT} s: "
                f"{server.log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
    """Servers A and B: ``puncta serve`` on two free ports, one worker each, on the test
    database, with the database as their shared cache and cached_db sessions."""
    tmp = tmp_path_factory.mktemp("two-servers")
    with django_db_blocker.unblock():
        url = _database_url()
    env = {**os.environ, "PUNCTA_MODE": "test", "DATABASE_URL": url,
           "PUNCTA_DATA_DIR": str(tmp), "PUNCTA_CACHE_URL": "db",
           "PUNCTA_SESSION_ENGINE": "cached_db", "PUNCTA_LOG_FORMAT": "json",
           "PUNCTA_ACCESS_LOG": "1", "PUNCTA_LOG_LEVEL": "WARNING",
           "PUNCTA_TEST_CLOCK": CLOCK.isoformat(),
           "GUNICORN_CMD_ARGS": f"--config {ROOT / 'tests' / 'two_servers_clock.py'}"}
    env.pop("PUNCTA_TEST_DB_NAME", None)
    started = []
    for name in ("A", "B"):
        port = _free_port()
        log = tmp / f"server-{name}.log"
        process = subprocess.Popen(  # the real command, as a deployment runs it
            [sys.executable, "-m", "puncta", "serve", "--port", str(port), "--workers", "1"],
            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        started.append(Server(name, port, process, log))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        for server in started:
            _wait_healthy(server, deadline)
        yield started
    finally:
        for server in started:
            server.process.terminate()
        for server in started:
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()


@pytest.fixture(autouse=True)
def _clock():
    """The test process stands at the servers' instant (they tick on from it)."""
    with time_machine.travel(CLOCK, tick=False):
        yield


def _csrf(page: bytes) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1).decode()


def _sign_in(browser: Browser, server: Server, username: str) -> None:
    token = _csrf(browser.send(server, "GET", "/login/").body)
    r = browser.send(server, "POST", "/login/", {"username": username, "password": PASSWORD,
                                                 "csrfmiddlewaretoken": token})
    assert r.status == 302, r.body[:500]
    assert "sessionid" in browser.cookies


def test_session_signed_in_on_a_is_valid_on_b_and_ended_there(servers, personas):
    a, b = servers
    browser = Browser()
    _sign_in(browser, a, "nurse")
    assert browser.send(a, "GET", "/").status == 200
    # The load balancer sends the next request to B: the same session, still signed in.
    r = browser.send(b, "GET", "/")
    assert r.status == 200, r.headers.get("location")
    assert b'action="/logout/"' in r.body
    # Signing out on B (a POST, through B's CSRF check) ends the session on A as well:
    # a stolen copy of the cookie replayed to A is sent to the sign-in page.
    stolen = dict(browser.cookies)
    r = browser.send(b, "POST", "/logout/", {"csrfmiddlewaretoken": browser.cookies["csrftoken"]})
    assert r.status == 302
    replay = Browser(cookies=stolen).send(a, "GET", "/")
    assert replay.status == 302 and replay.headers["location"].startswith("/login/")


def test_booking_race_across_servers_books_once(servers, personas, clinic_ready):  # noqa: F811
    plans = [acne_plan(personas, ready_patient(personas)) for _ in range(2)]
    slot = propose_series(plans[0])[0].slot
    token = ApiToken.issue(personas.front_desk, "two servers")[1]
    barrier = threading.Barrier(2)
    results: dict[str, Response] = {}

    def attempt(server: Server, plan) -> None:
        payload = {"number": 1, "start": slot.start.isoformat(),
                   "practitioner_id": slot.practitioner.pk, "room_id": slot.room.pk,
                   "device_id": slot.device.pk,
                   "supervisor_id": slot.supervisor.pk if slot.supervisor else None}
        barrier.wait(timeout=10)
        results[server.name] = server.api("POST", f"/plans/{plan.pk}/appointments", token,
                                          payload)

    threads = [threading.Thread(target=attempt, args=(server, plan))
               for server, plan in zip(servers, plans, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(r.status for r in results.values())
    assert statuses == [201, 422], {k: (r.status, r.body[:300]) for k, r in results.items()}
    refused = next(r for r in results.values() if r.status == 422).json()
    # Refused by the lock (one refusal) or, if the winner had already committed, by the
    # check before it (the room, practitioner and device each taken): slot.taken either way.
    assert {x["code"] for x in refused["refusals"]} == {"slot.taken"}, refused
    booked = next(r for r in results.values() if r.status == 201).json()
    assert list(Appointment.objects.values_list("pk", flat=True)) == [booked["id"]]


CHART = {"today": {"answered": True}, "photos_taken": True, "cleansing": "chlorhexidine",
         "numbing": {"used": True, "product": "emla", "amount_g": "10", "area_cm2": "100",
                     "applied_at": "09:00", "removed_at": "09:40", "occluded": False},
         "zones": [{"zone": "cheek_left", "depth_mm": "1.5", "passes": 3,
                    "pattern": "horizontal", "endpoint": "pinpoint_bleeding"}],
         "duration_min": 30, "notes": "Tolerated well."}


def test_chart_version_and_lock_hold_across_servers(servers, personas, clinic_ready):  # noqa: F811
    a, b = servers
    device = clinic_ready["device"]
    plan = acne_plan(personas, ready_patient(personas), start=DAY)
    lot = make_lot(personas.clinic, device)
    appt = book(personas, plan, device, on=DAY)
    aest = actor_of(personas.aesthetician)
    chart = charting.chart_start(actor=aest, appointment=appt)
    chart, errors = charting.chart_save(
        actor=aest, chart=chart, expected_version=chart.version,
        data={**CHART, "practitioner_id": personas.aesthetician.pk,
              "supervisor_id": personas.physician.pk, "device_id": device.pk,
              "lot_number": lot.lot_number})
    assert errors == {}, errors
    chart = charting.chart_attest_supervision(actor=actor_of(personas.physician), chart=chart)
    token = ApiToken.issue(personas.aesthetician, "two servers")[1]
    seen = chart.version  # what both servers' pages were opened at

    r = a.api("PATCH", f"/charts/{chart.pk}", token, {"notes": "Saved on A.", "version": seen})
    assert r.status == 200, r.body[:500]
    current = r.json()["version"]
    assert current > seen
    # B still holds the version both opened: its save is refused, not merged.
    r = b.api("PATCH", f"/charts/{chart.pk}", token, {"notes": "Saved on B.", "version": seen})
    assert r.status == 409 and r.json()["code"] == "stale", r.body[:500]

    r = a.api("POST", f"/charts/{chart.pk}/sign", token)
    assert r.status == 200, r.body[:500]
    signed = r.json()
    assert signed["status"] in ("pending_cosign", "final")
    # Signed on A: locked on B, even with the current version.
    r = b.api("PATCH", f"/charts/{chart.pk}", token,
              {"notes": "Late.", "version": signed["version"]})
    assert r.status == 409 and r.json()["code"] == "locked", r.body[:500]
    assert b.api("GET", f"/charts/{chart.pk}", token).json()["content"]["notes"] == "Saved on A."


def test_both_ready_and_logging_the_proxys_request_id(servers, personas):
    beat("test-worker", CLOCK)  # as `puncta worker` does
    for server in servers:
        r = server.request("GET", "/readyz")
        assert r.status == 200, r.body
        assert r.json() == {"status": "ready", "checks": {
            "database": "ok", "migrations": "ok", "worker": "ok"}}
    a = servers[0]
    r = a.request("GET", "/login/?next=/patients/%3Fq%3DTremblay",
                  headers={"X-Request-ID": "lb-0123456789abcdef"})
    assert r.status == 200 and r.headers["x-request-id"] == "lb-0123456789abcdef"
    deadline = time.monotonic() + 5
    mine: list[dict] = []
    while not mine and time.monotonic() < deadline:
        time.sleep(0.1)
        mine = [x for x in map(json.loads, filter(
            lambda line: line.startswith("{"), a.log.read_text().splitlines()))
            if x.get("request_id") == "lb-0123456789abcdef"]
    assert mine, a.log.read_text()[-2000:]
    line = mine[-1]
    assert line["logger"] == "puncta.access" and line["method"] == "GET"
    assert line["path"] == "/login/" and line["status"] == 200
    assert "Tremblay" not in json.dumps(line)  # no query string, no patient data
