"""Puncta HTTP benchmark: gunicorn against a seeded database, a realistic mix from
concurrent clients for a fixed time, latency percentiles, SQL queries per request,
throughput, server CPU per request (app and database) and server memory; in-process
server time of the calendar week and the series proposal; the raw-SQL floor of the
patient page; EXPLAIN of each operation's slowest query. Prints a table and writes JSON.
It never passes or fails.

    .venv/bin/python bench/run.py --database-url URL [--seconds 60] [--clients 20]
    .venv/bin/python bench/run.py --database-url URL --client wrk [--connections 10]

See bench/README.md. Two clients: Python threads (http.client, the default) or wrk (a
compiled client driven by a Lua script, bench/wrk_mix.py), which costs the machine little.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import wrk_mix
from cpu import CpuMeter, Totals
from spread import round_robin, split
from summary import Record, error_samples, figures, summarise

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# (operation, weight) of the read mix; login is measured at each client's start and on
# every re-login (a client signs in again every ~200 requests).
MIX = [("dashboard", 8), ("patient_search", 18), ("patient_list", 5), ("patient_page", 25),
       ("screening_page", 5), ("consent_page", 5), ("api_list", 10), ("api_read", 16),
       ("api_readiness", 8), ("calendar_week", 6), ("series_proposal", 3),
       ("chart_draft_save", 4)]
# series_proposal (GET /api/v1/plans/{id}/proposal) is followed, when it proposes a slot,
# by booking (POST /api/v1/plans/{id}/appointments with that slot): a write, measured
# as its own operation. chart_draft_save is PATCH /api/v1/charts/{id} (the API's autosave
# with the version it last saw). Writes: booking, chart_draft_save.
WRITES = {"booking", "chart_draft_save", "create"}

# The wrk client's phases: one wrk run each, every connection its own user. The read mix
# is MIX without its write (the proposal is asked, not booked); the others are one
# operation each, so the server CPU of the phase is that operation's.
PHASES: dict[str, tuple[list[tuple[str, int]], bool]] = {
    "read_mix": ([(op, w) for op, w in MIX if op not in WRITES], False),
    "patient_page": ([("patient_page", 1)], False),
    "api_read": ([("api_read", 1)], False),
    "create": ([("create", 1)], False),
    "chart_draft_save": ([("chart_draft_save", 1)], False),
    "booking": ([("series_proposal", 1)], True),  # proposal, then booking of its slot
}
WEB = wrk_mix.WEB_OPS


# --- environment and Django in-process (setup, raw floor, EXPLAIN) ----------------------


def configure(args: argparse.Namespace) -> dict[str, str]:
    env = {
        "DATABASE_URL": args.database_url, "PUNCTA_MODE": args.mode, "PUNCTA_BENCH": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "PUNCTA_DATA_DIR": args.data_dir, "PUNCTA_LOG_LEVEL": "ERROR",
    }
    if args.mode == "production":
        # Production settings (persistent connections, no debug) on plain http: the client
        # says it came through an https proxy, so secure cookies and CSRF work.
        env.update({"SECRET_KEY": secrets.token_urlsafe(64), "PUNCTA_SECURE_COOKIES": "1",
                    "PUNCTA_SSL_REDIRECT": "0", "PUNCTA_HSTS_SECONDS": "0",
                    "PUNCTA_AUDIT_KEY": os.environ.get("PUNCTA_AUDIT_KEY")
                    or secrets.token_urlsafe(48),
                    # The bench signs in with a password only: production asks physicians
                    # for a TOTP code (their pages would all redirect to the enrolment).
                    "PUNCTA_MFA_REQUIRED_ROLES": ""})
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puncta.settings")
    import django

    django.setup()
    return env


@dataclass
class Workload:
    users: list[tuple[str, int]]  # (username, clinic id): physicians (see every page)
    patients: dict[int, list[int]]
    names: dict[int, list[str]]
    tokens: dict[int, str]
    password: str
    # per clinic: plans made for the bench to book, draft charts to autosave, a week
    plans: dict[int, list[int]] = field(default_factory=dict)
    drafts: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    weeks: dict[int, list[str]] = field(default_factory=dict)


def workload(args: argparse.Namespace) -> Workload:
    from django.core.management import call_command

    from puncta.accounts.models import ApiToken, Membership
    from puncta.patients.models import Patient

    if args.seed_patients:
        call_command("migrate", verbosity=0)
    members = list(Membership.objects.filter(user__username__regex=r"^s[0-9]+\.",
                                             is_active=True).select_related("user"))
    if not members:
        if not args.seed_patients:
            sys.exit("bench: no seeded users; run 'puncta seed' first or pass --seed-patients")
        from puncta.synth.base import SeedConfig
        from puncta.synth.generator import generate

        print(f"bench: seeding {args.seed_patients} patients ...", flush=True)
        s = generate(SeedConfig(clinics=2, patients=args.seed_patients, seed=1,
                                progress=False))
        print("bench: " + s.lines()[0], flush=True)
        members = list(Membership.objects.filter(user__username__regex=r"^s[0-9]+\.")
                       .select_related("user"))
    rng = random.Random(1)
    users = round_robin([(m.user.username, m.clinic_id) for m in members
                         if m.role == "physician"])
    patients, names, tokens = {}, {}, {}
    for clinic_id in sorted({c for _, c in users}):
        ids = list(Patient.objects.filter(clinic_id=clinic_id).order_by("?")
                   .values_list("id", "family_name")[:2000])
        patients[clinic_id] = [i for i, _ in ids]
        names[clinic_id] = [n[: rng.randint(3, 6)] for _, n in ids]
        nurse = next(m for m in members if m.clinic_id == clinic_id
                     and m.role == "registered_nurse")
        tokens[clinic_id] = ApiToken.issue(nurse, "bench")[1]
    wl = Workload(users, patients, names, tokens, args.password)
    care_workload(wl, members, args.plans, args.drafts)
    return wl


def care_workload(wl: Workload, members: list[Any], n_plans: int = 60,
                  n_drafts: int = 30) -> None:
    """Per clinic: new plans for treatable, consented patients (to propose and book),
    draft charts started on booked appointments (to autosave), weeks to show."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from puncta.audit.services import Actor
    from puncta.charting.models import Chart
    from puncta.charting.services import chart_start
    from puncta.consent.gate import treatment_gate
    from puncta.patients.models import Screening
    from puncta.plans.models import TreatmentPlan
    from puncta.plans.services import plan_save
    from puncta.scheduling.models import Appointment

    today = timezone.localdate()
    for clinic_id in sorted(wl.patients):
        doctor = next(m for m in members if m.clinic_id == clinic_id and m.role == "physician")
        nurse = next(m for m in members if m.clinic_id == clinic_id
                     and m.role == "registered_nurse")
        actor = Actor(user=doctor.user, role=doctor.role, clinic_id=clinic_id)
        candidates = (Screening.objects.filter(
            patient__clinic_id=clinic_id, superseded_at__isnull=True, result="clear",
            valid_until__gte=today + dt.timedelta(days=30))
            .exclude(patient__plans__isnull=False).select_related("patient__clinic")
            .order_by("patient_id")[:max(400, n_plans * 8)])
        # Plans an earlier run made and never booked first: a small database runs out of
        # treatable patients without a plan after a few runs.
        plans = list(TreatmentPlan.objects.filter(
            patient__clinic_id=clinic_id, goals="bench", superseded_at__isnull=True,
            appointments__isnull=True, start__gte=today).order_by("pk")
            .values_list("pk", flat=True)[:n_plans])
        for s in candidates:
            if len(plans) >= n_plans:
                break
            if treatment_gate(s.patient, today):
                continue
            plan = plan_save(actor=actor, patient=s.patient, indication="fine_lines",
                             severity="mild", start=today + dt.timedelta(days=3),
                             device_type="pen", goals="bench", numbing_minutes=30,
                             zones=[("forehead", Decimal("0.50"), 3)])
            if plan.bookable:
                plans.append(plan.pk)
            if len(plans) >= n_plans:
                break
        wl.plans[clinic_id] = plans
        # Drafts an earlier run started first (a bench database: every draft is the
        # bench's), then new ones on booked appointments.
        charts = list(Chart.objects.filter(clinic_id=clinic_id, status="draft",
                                           appointment__isnull=False)
                      .order_by("pk")[:n_drafts])
        booked = (Appointment.objects.filter(clinic_id=clinic_id, status="booked", chart=None,
                                             kind="treatment")
                  .order_by("start")[:max(0, n_drafts - len(charts))])
        nactor = Actor(user=nurse.user, role=nurse.role, clinic_id=clinic_id)
        for a in booked:
            charts.append(Chart.objects.get(pk=chart_start(actor=nactor, appointment=a).pk))
        drafts = []
        for c in charts:
            body = {k: c.content.get(k) for k in ("today", "photos_taken", "cleansing",
                                                   "numbing", "zones", "topicals", "notes")}
            body.update(practitioner_id=c.practitioner_id, supervisor_id=c.supervisor_id,
                        device_id=c.device_id, lot_number=c.content.get("lot_number", ""))
            drafts.append({"id": c.pk, "version": c.version, "body": body})
        wl.drafts[clinic_id] = drafts
        first = Appointment.objects.filter(clinic_id=clinic_id).order_by("start").first()
        weeks = []
        if first is not None:
            day = max(first.start.date(), today - dt.timedelta(days=365))
            while day <= today + dt.timedelta(days=90):
                weeks.append(day.isoformat())
                day += dt.timedelta(days=7)
        wl.weeks[clinic_id] = weeks or [today.isoformat()]


# --- the HTTP client ------------------------------------------------------------------


class Session:
    def __init__(self, port: int, https_proxy: bool) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.proxy = https_proxy

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "puncta-bench"}
        if self.proxy:
            h["X-Forwarded-Proto"] = "https"
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        h.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read()
            for k, v in resp.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return resp.status, data, {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()

    def login(self, username: str, password: str) -> tuple[int, dict[str, str]]:
        self.cookies.clear()
        status, body, _ = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        form = urllib.parse.urlencode({
            "username": username, "password": password,
            "csrfmiddlewaretoken": token.group(1).decode() if token else ""})
        scheme = "https" if self.proxy else "http"
        origin = f"{scheme}://127.0.0.1:{self.port}"
        status, _, headers = self.request("POST", "/login/", form, {
            "Content-Type": "application/x-www-form-urlencoded", "Origin": origin,
            "Referer": origin + "/login/"})
        ok = status == 302 and "/login" not in headers.get("location", "")
        return (status if ok else 599), headers


@dataclass
class Stats:
    records: list[Record] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, op: str, seconds: float, status: int, headers: dict[str, str],
            outcome: str | None = None) -> None:
        def num(name: str) -> int | None:
            v = headers.get(name, "")
            return int(v) if v.isdigit() else None

        if outcome is None:
            outcome = "err" if status >= 400 or status == 0 else "ok"
        with self.lock:
            self.records.append(Record(op, status, seconds, num("x-puncta-queries"),
                                       num("x-puncta-cpu-us"), outcome))


def client_loop(n: int, wl: Workload, port: int, proxy: bool, deadline: float,
                stats: Stats) -> None:
    rng = random.Random(n)
    username, clinic = wl.users[n % len(wl.users)]
    ids, names, token = wl.patients[clinic], wl.names[clinic], wl.tokens[clinic]
    # This client's share of the clinic's plans and drafts (no two clients share one).
    share = max(1, sum(1 for _, c in wl.users if c == clinic))
    nth = sum(1 for _, c in wl.users[:n] if c == clinic)
    plans = wl.plans.get(clinic, [])[nth::share]
    drafts = wl.drafts.get(clinic, [])[nth::share]
    weeks = wl.weeks.get(clinic, [])
    session = Session(port, proxy)
    ops, weights = zip(*MIX, strict=True)
    done = 0
    while time.perf_counter() < deadline:
        if done % 200 == 0:
            t = time.perf_counter()
            status, headers = session.login(username, wl.password)
            stats.add("login", time.perf_counter() - t, status, headers)
        done += 1
        op = rng.choices(ops, weights)[0]
        pid = ids[rng.randrange(len(ids))]
        if op in ("series_proposal", "chart_draft_save", "calendar_week"):
            care_op(op, rng, session, token, plans, drafts, weeks, stats)
            continue
        api = op.startswith("api_")
        path = {
            "dashboard": "/", "patient_list": "/patients/",
            "patient_search": f"/patients/?q={urllib.parse.quote(rng.choice(names))}",
            "patient_page": f"/patients/{pid}/",
            "screening_page": f"/patients/{pid}/screening/",
            "consent_page": f"/patients/{pid}/consent/",
            "api_list": f"/api/v1/patients?q={urllib.parse.quote(rng.choice(names))}",
            "api_read": f"/api/v1/patients/{pid}",
            "api_readiness": f"/api/v1/patients/{pid}/readiness",
        }[op]
        headers = {"Authorization": f"Bearer {token}"} if api else {}
        t = time.perf_counter()
        try:
            if api:
                saved, session.cookies = session.cookies, {}
                status, _, h = session.request("GET", path, headers=headers)
                session.cookies = saved
            else:
                status, _, h = session.request("GET", path)
                if status == 302:  # sent to the login page: the session was lost
                    status = 598
        except OSError:
            status, h = 0, {}
        stats.add(op, time.perf_counter() - t, status, h)


def _api(session: Session, method: str, path: str, token: str, body: Any = None
         ) -> tuple[int, bytes, dict[str, str]]:
    saved, session.cookies = session.cookies, {}
    try:
        return session.request(method, path, None if body is None else json.dumps(body),
                               {"Authorization": f"Bearer {token}",
                                "Content-Type": "application/json"})
    finally:
        session.cookies = saved


def care_op(op: str, rng: random.Random, session: Session, token: str, plans: list[int],
            drafts: list[dict[str, Any]], weeks: list[str], stats: Stats) -> None:
    """calendar week (web), series proposal then booking of its first slot (API), chart
    draft autosave (API PATCH with the version last seen)."""
    t = time.perf_counter()
    try:
        if op == "calendar_week":
            status, _, h = session.request("GET", f"/calendar/?date={rng.choice(weeks)}")
            if status == 302:
                status = 598
            stats.add(op, time.perf_counter() - t, status, h)
        elif op == "series_proposal":
            if not plans:
                return
            plan = plans[rng.randrange(len(plans))]
            status, body, h = _api(session, "GET", f"/api/v1/plans/{plan}/proposal", token)
            stats.add(op, time.perf_counter() - t, status, h)
            if status != 200:
                return
            todo = [p for p in json.loads(body)["items"] if p["slot"] and not p["appointment"]]
            if not todo:
                plans.remove(plan)  # fully booked
                return
            p = todo[0]
            s = p["slot"]
            t = time.perf_counter()
            status, _, h = _api(session, "POST", f"/api/v1/plans/{plan}/appointments", token, {
                "number": p["number"], "start": s["start"],
                "practitioner_id": s["practitioner_id"], "room_id": s["room_id"],
                "device_id": s["device_id"], "supervisor_id": s["supervisor_id"]})
            # 422 slot.taken: another client booked it between proposal and booking.
            stats.add("booking", time.perf_counter() - t, status, h,
                      "refused" if status == 422 else None)
        elif op == "chart_draft_save":
            if not drafts:
                return
            d = drafts[rng.randrange(len(drafts))]
            body = {**d["body"], "version": d["version"],
                    "notes": f"bench autosave {rng.randrange(10**6)}"}
            status, data, h = _api(session, "PATCH", f"/api/v1/charts/{d['id']}", token, body)
            stats.add(op, time.perf_counter() - t, status, h)
            if status == 200:
                d["version"] = json.loads(data)["version"]
    except OSError:
        stats.add(op, time.perf_counter() - t, 0, {})


# --- server and memory ----------------------------------------------------------------


def tree_rss(pid: int) -> int:
    """RSS in bytes of a process and its children (gunicorn master + workers)."""
    total, pids = 0, {pid}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    pids.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def start_server(args: argparse.Namespace, env: dict[str, str], port: int | None = None,
                 src: Path | None = None, name: str = "gunicorn") -> subprocess.Popen[bytes]:
    """``puncta serve`` (gunicorn) of the code in ``src`` (PYTHONPATH; default: this tree's)."""
    port = port or args.port
    log = open(Path(args.data_dir) / f"{name}.log", "wb")
    code = {"PYTHONPATH": str(src or ROOT / "src")}
    proc = subprocess.Popen(
        [str(BIN / "puncta"), "serve", "--workers", str(args.workers), "--port",
         str(port)], env={**os.environ, **env, **code}, stdout=log, stderr=log)
    session = Session(port, args.mode == "production")
    for _ in range(150):
        time.sleep(0.2)
        if proc.poll() is not None:
            break
        try:
            if session.request("GET", "/login/")[0] == 200:
                return proc
        except OSError:
            continue
    proc.terminate()
    sys.exit(f"bench: the server did not start; see {log.name}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def database_name() -> str | None:
    """The PostgreSQL database the server uses (its backends are found by this name);
    None on SQLite, where the database's CPU is the app's."""
    from django.db import connection

    return str(connection.settings_dict["NAME"]) if connection.vendor == "postgresql" else None


# --- server CPU per request -------------------------------------------------------------


def cpu_figures(t: Totals, requests: int, seconds: float) -> dict[str, Any]:
    """CPU milliseconds per completed request, app (gunicorn) and database (backends)."""
    n = max(requests, 1)
    return {"app_ms": t.app_ms, "db_ms": t.db_ms, "db_backends": t.db_backends,
            "app_ms_per_req": t.app_ms / n, "db_ms_per_req": t.db_ms / n,
            "server_ms_per_req": (t.app_ms + t.db_ms) / n,
            "cores_busy": (t.app_ms + t.db_ms) / 1000 / seconds if seconds else 0.0}


def measured(meter: CpuMeter, server_pid: int, peak: list[int], fn: Callable[[], Any]
             ) -> tuple[Any, Totals]:
    """Run fn while sampling the server's CPU (and RSS); its result and the CPU totals."""
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.25):
            meter.sample()
            peak[0] = max(peak[0], tree_rss(server_pid))

    meter.start()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = fn()
    finally:
        stop.set()
        sampler.join()
    return result, meter.stop()


def phase_report(records: list[Record], elapsed: float, totals: Totals,
                 socket_errors: int = 0) -> dict[str, Any]:
    total = figures(records, elapsed)
    total["errors"] += socket_errors
    out: dict[str, Any] = {
        "seconds": round(elapsed, 2), "operations": summarise(records, elapsed),
        "total": total, "socket_errors": socket_errors,
        "cpu": cpu_figures(totals, len(records), elapsed),
        "error_samples": error_samples(records)}
    web = [r for r in records if r.op in WEB]
    if web and len(web) < len(records):
        out["web"] = figures(web, elapsed)
    return out


# --- the wrk client -------------------------------------------------------------------


def conn_tokens(wl: Workload, n: int) -> list[str]:
    """One API token per connection (a nurse of the connection's clinic)."""
    from puncta.accounts.models import ApiToken, Membership

    tokens = []
    for i in range(n):
        _, clinic = wl.users[i % len(wl.users)]
        nurse = Membership.objects.filter(clinic_id=clinic, role="registered_nurse",
                                          is_active=True).order_by("pk").first()
        tokens.append(ApiToken.issue(nurse, f"bench wrk {i}")[1])
    return tokens


def make_conns(wl: Workload, tokens: list[str], part: int = 0, parts: int = 1
               ) -> list[wrk_mix.Conn]:
    """Connections without cookies yet: each its user, token, and its own plans and
    drafts (disjoint between connections, and between the ``parts`` of a comparison)."""
    n = len(tokens)
    conns = []
    for i in range(n):
        _, clinic = wl.users[i % len(wl.users)]
        same = [j for j in range(n) if wl.users[j % len(wl.users)][1] == clinic]
        nth, share = same.index(i), len(same)
        plans = split(split(wl.plans.get(clinic, [])[RESERVED_PLANS:], part, parts), nth,
                      share)
        drafts = split(split(wl.drafts.get(clinic, []), part, parts), nth, share)
        conns.append(wrk_mix.Conn(cookie="", token=tokens[i], clinic=clinic, plans=plans,
                                  drafts=[dict(d) for d in drafts]))
    return conns


def check_conns(conns: list[wrk_mix.Conn], phases: list[str]) -> None:
    """Refuse, before any load, a phase a connection cannot make (no plan, no draft)."""
    need = {"series_proposal": ("plans", "--plans"), "chart_draft_save": ("drafts", "--drafts")}
    for phase in phases:
        mix, _ = PHASES[phase]
        ops = {op for op, w in mix if w > 0}
        for i, c in enumerate(conns):
            if all(op in need and not getattr(c, need[op][0]) for op in ops):
                what, flag = need[next(iter(ops & need.keys()))]
                sys.exit(f"bench: connection {i} has no {what} for the {phase} phase; raise "
                         f"{flag} (each clinic's are shared out among its connections)")


# The first plans of each clinic are the in-process proposal's, never booked over HTTP.
RESERVED_PLANS = 5


def sign_in(conns: list[wrk_mix.Conn], wl: Workload, port: int, proxy: bool) -> None:
    """A fresh session per connection through the login form (CSRF, axes in front)."""
    for i, c in enumerate(conns):
        username, _ = wl.users[i % len(wl.users)]
        session = Session(port, proxy)
        status, _ = session.login(username, wl.password)
        if status != 302:
            sys.exit(f"bench: {username} could not sign in on port {port} (HTTP {status})")
        c.cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())


def refresh_drafts(conns: list[wrk_mix.Conn]) -> None:
    """The drafts' versions now (another phase or the other side of a comparison may
    have saved them)."""
    from puncta.charting.models import Chart

    ids = [d["id"] for c in conns for d in c.drafts]
    versions = dict(Chart.objects.filter(pk__in=ids).values_list("pk", "version"))
    for c in conns:
        for d in c.drafts:
            d["version"] = versions.get(d["id"], d["version"])


def wrk_clinics(wl: Workload) -> dict[int, wrk_mix.Clinic]:
    return {c: wrk_mix.Clinic(ids=wl.patients[c],
                              names=[urllib.parse.quote(n) for n in wl.names[c]],
                              weeks=wl.weeks.get(c) or [])
            for c in wl.patients}


def wrk_phase(phase: str, conns: list[wrk_mix.Conn], wl: Workload, port: int,
              args: argparse.Namespace, meter: CpuMeter, server_pid: int, peak: list[int],
              tag: str = "") -> dict[str, Any]:
    mix, book = PHASES[phase]
    sign_in(conns, wl, port, args.mode == "production")
    if phase == "chart_draft_save":
        refresh_drafts(conns)
    from django.db import connection

    connection.close()  # the bench's own backend stays out of the database's CPU
    (records, meta, _), totals = measured(meter, server_pid, peak, lambda: wrk_mix.run(
        conns, wrk_clinics(wl), mix, port, args.seconds, Path(args.data_dir),
        f"{phase}{tag}", book=book))
    elapsed = meta.get("duration_us", 0) / 1e6 or args.seconds
    socket = sum(meta.get(k, 0) for k in ("connect", "read", "write", "timeout"))
    return phase_report(records, elapsed, totals, socket)


def warm_up(conns: list[wrk_mix.Conn], wl: Workload, port: int,
            args: argparse.Namespace) -> None:
    """--warmup seconds of the read mix, not measured: each worker's first requests load
    templates and code, and open its database connection."""
    if args.warmup <= 0:
        return
    sign_in(conns, wl, port, args.mode == "production")
    wrk_mix.run(conns, wrk_clinics(wl), PHASES["read_mix"][0], port, args.warmup,
                Path(args.data_dir), f"warmup-{port}")


# --- in-process measurements (bench/inprocess.py in a child process) and EXPLAIN -------


def inprocess(args: argparse.Namespace, wl: Workload, src: Path | None = None,
              tag: str = "", env: dict[str, str] | None = None) -> dict[str, Any]:
    """Patient page vs raw-SQL floor (CPU), calendar week and series proposal p50/p95 and
    queries, measured by the code in ``src`` (default: this tree's)."""
    username, clinic = wl.users[0]
    spec = {"username": username, "clinic": clinic, "patients": wl.patients[clinic][:500],
            "plans": wl.plans.get(clinic, [])[:RESERVED_PLANS],
            "weeks": wl.weeks.get(clinic) or [], "runs": args.inprocess_runs}
    d = Path(args.data_dir)
    (d / f"inprocess{tag}.spec.json").write_text(json.dumps(spec))
    out = d / f"inprocess{tag}.json"
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("inprocess.py")), "--spec",
         str(d / f"inprocess{tag}.spec.json"), "--out", str(out)],
        env={**os.environ, **(env or {}), "PYTHONPATH": str(src or ROOT / "src")},
        capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def explain(wl: Workload) -> dict[str, dict[str, Any]]:
    """One request per operation in-process; EXPLAIN (ANALYZE for reads on PostgreSQL)
    of its slowest query."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from puncta.accounts.models import User

    username, clinic = wl.users[0]
    pid, name = wl.patients[clinic][0], wl.names[clinic][0]
    web = Client()
    web.force_login(User.objects.get(username=username))
    api = Client(headers={"Authorization": f"Bearer {wl.tokens[clinic]}"})
    urls = {"dashboard": (web, "/"), "patient_search": (web, f"/patients/?q={name}"),
            "patient_list": (web, "/patients/"), "patient_page": (web, f"/patients/{pid}/"),
            "screening_page": (web, f"/patients/{pid}/screening/"),
            "consent_page": (web, f"/patients/{pid}/consent/"),
            "api_list": (api, f"/api/v1/patients?q={name}"),
            "api_read": (api, f"/api/v1/patients/{pid}"),
            "api_readiness": (api, f"/api/v1/patients/{pid}/readiness")}
    weeks = wl.weeks.get(clinic) or []
    if weeks:
        urls["calendar_week"] = (web, f"/calendar/?date={weeks[len(weeks) // 2]}")
    if wl.plans.get(clinic):
        urls["series_proposal"] = (api, f"/api/v1/plans/{wl.plans[clinic][-1]}/proposal")
    out = {}
    pg = connection.vendor == "postgresql"
    for op, (client, url) in urls.items():
        client.get(url, secure=True)  # warm
        with CaptureQueriesContext(connection) as ctx:
            client.get(url, secure=True)
        slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]))
        sql = slowest["sql"]
        read = sql.lstrip().upper().startswith("SELECT")
        prefix = ("EXPLAIN ANALYZE " if read else "EXPLAIN ") if pg else "EXPLAIN QUERY PLAN "
        try:
            with connection.cursor() as cur:
                cur.execute(prefix + sql)
                plan = [" ".join(str(c) for c in row) for row in cur.fetchall()]
        except Exception as exc:  # a query that cannot be explained as captured
            plan = [f"(not explained: {type(exc).__name__}: {exc})"]
        out[op] = {"queries": len(ctx.captured_queries), "slowest_ms": float(slowest["time"])
                   * 1000, "sql": sql, "plan": plan}
    return out


# --- main -------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    ap.add_argument("--client", choices=["python", "wrk"], default="python",
                    help="python: threads of http.client (default); wrk: the light client")
    ap.add_argument("--seconds", type=float, default=60, help="per phase with --client wrk")
    ap.add_argument("--clients", type=int, default=20, help="Python client threads")
    ap.add_argument("--connections", type=int, default=10,
                    help="wrk connections (one signed-in user each)")
    ap.add_argument("--phases", default=",".join(PHASES),
                    help=f"wrk phases, comma-separated, of: {', '.join(PHASES)}")
    ap.add_argument("--warmup", type=float, default=3,
                    help="seconds of unmeasured read mix before the wrk phases")
    ap.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--mode", choices=["production", "dev"], default="production")
    ap.add_argument("--password", default="puncta-bench-2026")
    ap.add_argument("--seed-patients", type=int, default=0,
                    help="seed this many patients first when the database has none")
    ap.add_argument("--plans", type=int, default=60,
                    help="plans per clinic the bench makes to propose and book")
    ap.add_argument("--drafts", type=int, default=30,
                    help="draft charts per clinic the bench starts to autosave")
    ap.add_argument("--inprocess-runs", type=int, default=300,
                    help="runs per in-process measurement (0: skip them)")
    ap.add_argument("--json", default="bench/results.json")
    ap.add_argument("--data-dir", default="/tmp/puncta-bench")
    ap.add_argument("--no-explain", action="store_true")
    return ap


def main() -> None:
    args = parser().parse_args()
    if not args.database_url:
        sys.exit("bench: pass --database-url (or set DATABASE_URL)")
    phases = [p for p in args.phases.split(",") if p]
    unknown = set(phases) - set(PHASES)
    if unknown:
        sys.exit(f"bench: unknown phases {sorted(unknown)}; known: {', '.join(PHASES)}")
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    env = configure(args)
    from django.db import connection

    from puncta.patients.models import Patient

    wl = workload(args)
    tokens = conn_tokens(wl, args.connections) if args.client == "wrk" else []
    size = Patient.objects.count()
    vendor = connection.vendor
    dbname = database_name()
    connection.close()
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "database": vendor,
        "patients": size, "client": args.client,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_at_start": os.getloadavg()[0]},
        "mode": args.mode, "workers": args.workers}
    server = start_server(args, env)
    meter = CpuMeter(app_pid=server.pid, database=dbname)
    peak = [0]
    try:
        if args.client == "wrk":
            report.update(connections=args.connections, seconds=args.seconds, phases={})
            conns = make_conns(wl, tokens)
            check_conns(conns, phases)
            warm_up(conns, wl, args.port, args)
            for phase in phases:
                report["phases"][phase] = r = wrk_phase(phase, conns, wl, args.port, args,
                                                        meter, server.pid, peak)
                print(f"bench: {phase}: {r['total']['requests']} requests, "
                      f"{r['total']['rps']:.0f}/s, {r['total']['errors']} errors", flush=True)
        else:
            report.update(clients=args.clients)
            report["phases"] = {"python_mix": python_phase(args, wl, meter, server.pid,
                                                           peak)}
    finally:
        stop_server(server)
    report["server_peak_rss_mib"] = peak[0] / 2**20
    if args.inprocess_runs:
        report["inprocess"] = inprocess(args, wl)
    if not args.no_explain:
        report["explain"] = explain(wl)
    report["targets"] = targets(report)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    print_table(report)
    print(f"JSON: {args.json}")


def python_phase(args: argparse.Namespace, wl: Workload, meter: CpuMeter, server_pid: int,
                 peak: list[int]) -> dict[str, Any]:
    """The Python client: --clients threads for --seconds over MIX (with its writes)."""
    stats = Stats()

    def go() -> float:
        started = time.perf_counter()
        deadline = started + args.seconds
        threads = [threading.Thread(target=client_loop, args=(
            n, wl, args.port, args.mode == "production", deadline, stats))
            for n in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - started

    elapsed, totals = measured(meter, server_pid, peak, go)
    out = phase_report(stats.records, elapsed, totals)
    reads = [r for r in stats.records if r.op not in {"login", *WRITES}]
    writes = [r for r in stats.records if r.op in WRITES]
    out["reads"] = figures(reads, elapsed)
    out["writes"] = figures(writes, elapsed)
    return out


# --- targets of issue #16 ---------------------------------------------------------------


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets against what this run measured (absent: not measured)."""
    ph = r.get("phases", {})
    ip = r.get("inprocess", {})
    out: list[dict[str, Any]] = []

    def add(name: str, value: float | None, op: str, limit: float) -> None:
        if value is None:
            return
        met = value >= limit if op == ">=" else value <= limit
        out.append({"target": name, "value": round(value, 2), "limit": f"{op} {limit:g}",
                    "met": met})

    def get(phase: str, *keys: str) -> Any:
        v: Any = ph.get(phase)
        for k in keys:
            if not isinstance(v, dict):
                return None
            v = v.get(k)
        return v

    add("read mix req/s", get("read_mix", "total", "rps"), ">=", 250)
    add("read mix p95 ms", get("read_mix", "total", "p95_ms"), "<=", 100)
    page_cpu = get("patient_page", "cpu", "server_ms_per_req")
    floor_cpu = (ip.get("patient_page_raw_floor") or {}).get("raw", {}).get("cpu_ms")
    if page_cpu is not None and floor_cpu:
        add("patient page server CPU / raw-SQL floor", page_cpu / floor_cpu, "<=", 3)
    add("patient page CPU / floor (in-process)",
        (ip.get("patient_page_raw_floor") or {}).get("cpu_ratio"), "<=", 3)
    add("API read req/s", get("api_read", "total", "rps"), ">=", 500)
    add("API read p99 ms", get("api_read", "total", "p99_ms"), "<=", 50)
    add("create req/s", get("create", "total", "rps"), ">=", 300)
    add("chart autosave p95 ms", get("chart_draft_save", "operations", "chart_draft_save",
                                     "p95_ms"), "<=", 100)
    add("booking p95 ms", get("booking", "operations", "booking", "p95_ms"), "<=", 100)
    add("series proposal p95 ms (in-process)", (ip.get("series_proposal") or {}).get("p95_ms"),
        "<=", 20)
    add("calendar week p50 ms (in-process)", (ip.get("calendar_week") or {}).get("p50_ms"),
        "<=", 30)
    pages = [v.get("queries_max") for p in ph.values() for op, v in p["operations"].items()
             if op in WEB and v.get("queries_max") is not None]
    add("queries per page (max)", max(pages) if pages else None, "<=", 12)
    return out


# --- the table --------------------------------------------------------------------------


def fmt(v: Any, spec: str = ".1f") -> str:
    return "-" if v is None else format(v, spec)


def print_table(r: dict[str, Any]) -> None:
    who = (f"{r['connections']} wrk connections" if r["client"] == "wrk"
           else f"{r.get('clients')} Python clients")
    print(f"\n{r['database']} · {r['patients']:,} patients · {r['mode']} mode · "
          f"{r['workers']} gunicorn workers · {who} · load at start "
          f"{r['machine']['load_at_start']:.1f}")
    head = (f"{'operation':<18}{'requests':>9}{'errors':>7}{'p50 ms':>8}{'p95 ms':>8}"
            f"{'p99 ms':>8}{'req/s':>8}{'SQL/req':>8}{'appCPU':>8}")
    for name, ph in r.get("phases", {}).items():
        c = ph["cpu"]
        print(f"\n[{name}] {ph['seconds']} s · server CPU/req: app {c['app_ms_per_req']:.2f} ms"
              f" + db {c['db_ms_per_req']:.2f} ms = {c['server_ms_per_req']:.2f} ms"
              f" · {c['cores_busy']:.2f} cores busy")
        print(head)
        rows = [*list(ph["operations"].items()), ("(all)", ph["total"])]
        if "web" in ph:
            rows.append(("(web pages)", ph["web"]))
        for op, v in rows:
            q = v["queries_min"]
            qs = "-" if q is None else (str(q) if q == v["queries_max"] else
                                        f"{q}-{v['queries_max']}")
            err = f"{v['errors']}" + (f"+{v['refused']}r" if v.get("refused") else "")
            print(f"{op:<18}{v['requests']:>9}{err:>7}{v['p50_ms']:>8.1f}{v['p95_ms']:>8.1f}"
                  f"{v['p99_ms']:>8.1f}{v['rps']:>8.1f}{qs:>8}"
                  f"{fmt(v.get('app_cpu_ms_header'), '.2f'):>8}")
        if ph["error_samples"] or ph.get("socket_errors"):
            print(f"  errors: {', '.join(ph['error_samples'])} "
                  f"socket errors {ph.get('socket_errors', 0)}")
    print(f"\nserver peak RSS (master+workers): {r['server_peak_rss_mib']:.0f} MiB")
    ip = r.get("inprocess") or {}
    if "error" in ip:
        print("in-process measurements failed:", ip["error"][-500:])
    f = ip.get("patient_page_raw_floor")
    if f:
        print(f"patient page in-process: raw SQL floor {f['raw']['cpu_ms']:.2f} ms CPU "
              f"(p50 {f['raw']['p50_ms']:.2f} ms); page {f['page']['cpu_ms']:.2f} ms CPU "
              f"(p50 {f['page']['p50_ms']:.2f} ms); CPU ratio {fmt(f['cpu_ratio'], '.1f')}")
    for k in ("calendar_week", "series_proposal"):
        v = ip.get(k)
        if v:
            print(f"{k} in-process: p50 {v['p50_ms']:.1f} ms, p95 {v['p95_ms']:.1f} ms, "
                  f"CPU {v['cpu_ms']:.1f} ms, {v['queries']} queries (HTTP {v['status']})")
    for e in r.get("targets", []):
        print(f"  {'met ' if e['met'] else 'MISS'} {e['target']}: {e['value']} "
              f"(target {e['limit']})")
    for op, e in r.get("explain", {}).items():
        print(f"\n-- {op}: {e['queries']} queries; slowest {e['slowest_ms']:.2f} ms:\n"
              f"   {e['sql'][:300]}")
        for line in e["plan"][:8]:
            print(f"   | {line}")


if __name__ == "__main__":
    main()
