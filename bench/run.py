"""Puncta HTTP benchmark: gunicorn against a seeded database, a realistic read mix from
concurrent clients for a fixed time, latency percentiles, SQL queries per request,
throughput and server memory; the raw-SQL floor of the patient page; EXPLAIN of each
operation's slowest query. Prints a table and writes JSON. It never passes or fails.

    .venv/bin/python bench/run.py --database-url URL [--seconds 60] [--clients 20]

See bench/README.md. Standard library only (threads + http.client).
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
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
WRITES = {"booking", "chart_draft_save"}


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


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
                    "PUNCTA_SSL_REDIRECT": "0", "PUNCTA_HSTS_SECONDS": "0"})
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
    users = [(m.user.username, m.clinic_id) for m in members if m.role == "physician"]
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
    care_workload(wl, members)
    return wl


def care_workload(wl: Workload, members: list[Any]) -> None:
    """Per clinic: 60 new plans for treatable, consented patients (to propose and book),
    30 draft charts started on booked appointments (to autosave), weeks to show."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from puncta.audit.services import Actor
    from puncta.charting.models import Chart
    from puncta.charting.services import chart_start
    from puncta.consent.gate import treatment_gate
    from puncta.patients.models import Screening
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
            .order_by("patient_id")[:400])
        plans = []
        for s in candidates:
            if treatment_gate(s.patient, today):
                continue
            plan = plan_save(actor=actor, patient=s.patient, indication="fine_lines",
                             severity="mild", start=today + dt.timedelta(days=3),
                             device_type="pen", goals="bench", numbing_minutes=30,
                             zones=[("forehead", Decimal("0.50"), 3)])
            if plan.bookable:
                plans.append(plan.pk)
            if len(plans) >= 60:
                break
        wl.plans[clinic_id] = plans
        booked = (Appointment.objects.filter(clinic_id=clinic_id, status="booked", chart=None,
                                             kind="treatment").order_by("start")[:30])
        nactor = Actor(user=nurse.user, role=nurse.role, clinic_id=clinic_id)
        drafts = []
        for a in booked:
            chart = chart_start(actor=nactor, appointment=a)
            c = Chart.objects.get(pk=chart.pk)
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
    latencies: dict[str, list[float]] = field(default_factory=dict)
    queries: dict[str, list[int]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_refusal(self, op: str) -> None:
        with self.lock:
            self.refusals[op] = self.refusals.get(op, 0) + 1

    def add(self, op: str, seconds: float, status: int, queries: str | None) -> None:
        with self.lock:
            self.latencies.setdefault(op, []).append(seconds)
            self.errors.setdefault(op, 0)
            if status >= 400 or status == 0:
                self.errors[op] += 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{op}: HTTP {status}")
            if queries and queries.isdigit():
                self.queries.setdefault(op, []).append(int(queries))


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
            stats.add("login", time.perf_counter() - t, status, headers.get("x-puncta-queries"))
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
        stats.add(op, time.perf_counter() - t, status, h.get("x-puncta-queries"))


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
            stats.add(op, time.perf_counter() - t, status, h.get("x-puncta-queries"))
        elif op == "series_proposal":
            if not plans:
                return
            plan = plans[rng.randrange(len(plans))]
            status, body, h = _api(session, "GET", f"/api/v1/plans/{plan}/proposal", token)
            stats.add(op, time.perf_counter() - t, status, h.get("x-puncta-queries"))
            if status != 200:
                return
            todo = [p for p in json.loads(body) if p["slot"] and not p["appointment"]]
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
            stats.add("booking", time.perf_counter() - t, 0 if status >= 500 else
                      (200 if status == 422 else status), h.get("x-puncta-queries"))
            if status == 422:
                stats.add_refusal("booking")
        elif op == "chart_draft_save":
            if not drafts:
                return
            d = drafts[rng.randrange(len(drafts))]
            body = {**d["body"], "version": d["version"],
                    "notes": f"bench autosave {rng.randrange(10**6)}"}
            status, data, h = _api(session, "PATCH", f"/api/v1/charts/{d['id']}", token, body)
            stats.add(op, time.perf_counter() - t, status, h.get("x-puncta-queries"))
            if status == 200:
                d["version"] = json.loads(data)["version"]
    except OSError:
        stats.add(op, time.perf_counter() - t, 0, None)


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


def start_server(args: argparse.Namespace, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = open(Path(args.data_dir) / "gunicorn.log", "wb")
    proc = subprocess.Popen(
        [str(BIN / "puncta"), "serve", "--workers", str(args.workers), "--port",
         str(args.port)], env={**os.environ, **env}, stdout=log, stderr=log)
    session = Session(args.port, args.mode == "production")
    for _ in range(100):
        time.sleep(0.2)
        try:
            if session.request("GET", "/login/")[0] == 200:
                return proc
        except OSError:
            continue
    proc.terminate()
    sys.exit(f"bench: the server did not start; see {log.name}")


# --- in-process measurements: raw floor and EXPLAIN -----------------------------------

RAW_PATIENT_PAGE = [
    "SELECT * FROM patients_patient WHERE clinic_id = %s AND id = %s",
    "SELECT s.*, u.first_name, u.last_name FROM patients_screening s LEFT JOIN accounts_user"
    " u ON u.id = s.decided_by_id WHERE s.patient_id = %s AND s.superseded_at IS NULL"
    " ORDER BY s.screened_at DESC, s.id DESC LIMIT 1",
    "SELECT c.id, c.signed_at, c.withdrawn_at, t.procedure, t.language, t.version FROM"
    " consent_consent c JOIN consent_consenttemplate t ON t.id = c.template_id"
    " WHERE c.patient_id = %s ORDER BY c.signed_at DESC, c.id DESC",
    "SELECT procedure, language, MAX(version) FROM consent_consenttemplate"
    " WHERE clinic_id = %s GROUP BY procedure, language",
]


def raw_floor(wl: Workload, n: int = 300) -> dict[str, float]:
    """The patient page's data by minimal raw SQL, against the app's view in-process."""
    from django.db import connection
    from django.test import Client

    from puncta.accounts.models import User

    username, clinic = wl.users[0]
    ids = wl.patients[clinic]
    rng = random.Random(2)
    raw, app = [], []
    with connection.cursor() as cur:
        for _ in range(n):
            pid = ids[rng.randrange(len(ids))]
            t = time.perf_counter()
            for sql in RAW_PATIENT_PAGE:
                params = {1: [clinic, pid]}.get(RAW_PATIENT_PAGE.index(sql) + 1)
                cur.execute(sql, params or ([clinic] if "GROUP BY" in sql else [pid]))
                cur.fetchall()
            raw.append(time.perf_counter() - t)
    client = Client()
    client.force_login(User.objects.get(username=username))
    for _ in range(n):
        pid = ids[rng.randrange(len(ids))]
        t = time.perf_counter()
        client.get(f"/patients/{pid}/", secure=True)
        app.append(time.perf_counter() - t)
    r50, a50 = statistics.median(raw), statistics.median(app)
    return {"raw_p50_ms": r50 * 1000, "app_inprocess_p50_ms": a50 * 1000,
            "ratio_inprocess": a50 / r50}


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--mode", choices=["production", "dev"], default="production")
    ap.add_argument("--password", default="puncta-bench-2026")
    ap.add_argument("--seed-patients", type=int, default=0,
                    help="seed this many patients first when the database has none")
    ap.add_argument("--json", default="bench/results.json")
    ap.add_argument("--data-dir", default="/tmp/puncta-bench")
    ap.add_argument("--no-explain", action="store_true")
    args = ap.parse_args()
    if not args.database_url:
        sys.exit("bench: pass --database-url (or set DATABASE_URL)")
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    env = configure(args)
    from django.db import connection

    from puncta.patients.models import Patient

    wl = workload(args)
    size = Patient.objects.count()
    vendor = connection.vendor
    connection.close()
    server = start_server(args, env)
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss(server.pid))
            stop.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stats = Stats()
    started = time.perf_counter()
    deadline = started + args.seconds
    threads = [threading.Thread(target=client_loop, args=(n, wl, args.port,
                                                          args.mode == "production",
                                                          deadline, stats))
               for n in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=15)

    ops = {}
    for op in ["login", *(o for o, _ in MIX), "booking"]:
        lat = stats.latencies.get(op, [])
        q = stats.queries.get(op, [])
        ops[op] = {
            "requests": len(lat), "errors": stats.errors.get(op, 0),
            "p50_ms": pct(lat, 50) * 1000, "p95_ms": pct(lat, 95) * 1000,
            "p99_ms": pct(lat, 99) * 1000, "rps": len(lat) / elapsed,
            "queries_min": min(q) if q else None, "queries_max": max(q) if q else None,
            "refused": stats.refusals.get(op, 0),
        }
    reads = [v for k, v in stats.latencies.items() if k not in {"login", *WRITES}
             for v in v]
    writes = [v for k, v in stats.latencies.items() if k in WRITES for v in v]
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "database": vendor, "patients": size,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "mode": args.mode, "clients": args.clients, "workers": args.workers,
        "seconds": round(elapsed, 1), "operations": ops,
        "total": {"requests": len(reads) + len(writes)
                  + len(stats.latencies.get("login", [])),
                  "errors": sum(stats.errors.values()), "read_requests": len(reads),
                  "read_rps": len(reads) / elapsed,
                  "read_p50_ms": pct(reads, 50) * 1000, "read_p95_ms": pct(reads, 95) * 1000,
                  "read_p99_ms": pct(reads, 99) * 1000,
                  "write_requests": len(writes), "write_p50_ms": pct(writes, 50) * 1000,
                  "write_p95_ms": pct(writes, 95) * 1000,
                  "write_p99_ms": pct(writes, 99) * 1000},
        "server_peak_rss_mib": peak[0] / 2**20, "error_samples": stats.error_samples,
    }
    floor = raw_floor(wl)
    floor["app_http_p50_ms"] = ops["patient_page"]["p50_ms"]
    floor["ratio_http_loaded"] = floor["app_http_p50_ms"] / floor["raw_p50_ms"]
    report["patient_page_raw_floor"] = floor
    if not args.no_explain:
        report["explain"] = explain(wl)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    print_table(report)
    print(f"JSON: {args.json}")


def print_table(r: dict[str, Any]) -> None:
    print(f"\n{r['database']} · {r['patients']:,} patients · {r['mode']} mode · "
          f"{r['workers']} gunicorn workers · {r['clients']} clients · {r['seconds']} s")
    print(f"{'operation':<16}{'requests':>9}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}{'req/s':>8}{'SQL/req':>9}")
    for op, v in r["operations"].items():
        q = v["queries_min"]
        qs = "-" if q is None else (str(q) if q == v["queries_max"] else
                                    f"{q}-{v['queries_max']}")
        print(f"{op:<16}{v['requests']:>9}{v['errors']:>7}{v['p50_ms']:>9.1f}"
              f"{v['p95_ms']:>9.1f}{v['p99_ms']:>9.1f}{v['rps']:>8.1f}{qs:>9}")
    t = r["total"]
    reads = t.get("read_requests", t["requests"])
    print(f"{'reads (all)':<16}{reads:>9}{t['errors']:>7}{t['read_p50_ms']:>9.1f}"
          f"{t['read_p95_ms']:>9.1f}{t['read_p99_ms']:>9.1f}{t['read_rps']:>8.1f}")
    if t.get("write_requests"):
        print(f"{'writes (all)':<16}{t['write_requests']:>9}{'':>7}{t['write_p50_ms']:>9.1f}"
              f"{t['write_p95_ms']:>9.1f}{t['write_p99_ms']:>9.1f}")
    f = r["patient_page_raw_floor"]
    print(f"server peak RSS (master+workers): {r['server_peak_rss_mib']:.0f} MiB")
    print(f"patient page raw SQL floor p50 {f['raw_p50_ms']:.2f} ms; app in-process p50 "
          f"{f['app_inprocess_p50_ms']:.2f} ms (ratio {f['ratio_inprocess']:.1f}); "
          f"over HTTP under load p50 {f['app_http_p50_ms']:.1f} ms "
          f"(ratio {f['ratio_http_loaded']:.1f})")
    for op, e in r.get("explain", {}).items():
        print(f"\n-- {op}: {e['queries']} queries; slowest {e['slowest_ms']:.2f} ms:\n"
              f"   {e['sql'][:300]}")
        for line in e["plan"][:8]:
            print(f"   | {line}")
    if r["error_samples"]:
        print("errors e.g.:", ", ".join(r["error_samples"]))


if __name__ == "__main__":
    main()
