"""FHIR facade bench: read by id and search by name against the JSON API in the same run
(wrk, 10 connections), and the bulk export's rate and peak memory at two sizes.

    .venv/bin/python bench/fhir.py --database-url postgres://postgres@127.0.0.1:5432/puncta_bench \
        --seconds 20 --connections 10 --workers 3 --json bench/results-fhir.json

    # the export alone, each validation policy, one and two processes:
    .venv/bin/python bench/fhir.py --database-url ... --skip-http --export-network-only \
        --validate all --validate shapes --validate none --jobs 1 --jobs 2

The database must be seeded (`puncta seed`, see README.md) and migrated. The server is
`puncta serve` (gunicorn, production settings); reads write audit events, as in use.
Prints numbers; does not pass or fail.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sample import clinician_token, largest_clinic, patients_and_fragments

BIN = Path(sys.executable).parent
LUA = """
local paths = {%(paths)s}
local token = "%(token)s"
request = function()
  return wrk.format("GET", paths[math.random(#paths)], {["Authorization"] = "Bearer " .. token})
end
-- wrk's --latency table has no p95: print it (microseconds) for the targets that name it.
done = function(summary, latency, requests)
  io.write(string.format("p95_us %%d\\n", latency:percentile(95)))
end
"""


def configure(args: argparse.Namespace) -> dict[str, str]:
    env = {"DATABASE_URL": args.database_url, "PUNCTA_MODE": "production",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "PUNCTA_DATA_DIR": args.data_dir,
           "PUNCTA_LOG_LEVEL": "ERROR", "SECRET_KEY": secrets.token_urlsafe(64),
           "PUNCTA_SECURE_COOKIES": "1", "PUNCTA_SSL_REDIRECT": "0", "PUNCTA_HSTS_SECONDS": "0",
           "PUNCTA_AUDIT_KEY": secrets.token_urlsafe(48)}
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puncta.settings")
    import django

    django.setup()
    return env


def workload(args: argparse.Namespace) -> dict[str, Any]:
    """The largest clinic, a nurse's token, 2,000 of its patients and name fragments."""
    from puncta.clinics.models import Clinic
    from puncta.patients.models import Patient

    clinic = largest_clinic()
    sample, frags = patients_and_fragments(clinic.pk)
    return {"clinic": clinic.pk, "clinic_patients": clinic.n,
            "token": clinician_token(clinic.pk, "bench fhir"), "ids": sample, "frags": frags,
            "patients_total": Patient.objects.count(), "clinics": Clinic.objects.count()}

def start_server(args: argparse.Namespace, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = open(Path(args.data_dir) / "gunicorn-fhir.log", "wb")
    proc = subprocess.Popen([str(BIN / "puncta"), "serve", "--workers", str(args.workers),
                             "--port", str(args.port)], env={**os.environ, **env},
                            stdout=log, stderr=log)
    for _ in range(150):
        time.sleep(0.2)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/fhir/metadata",
                                        timeout=5) as r:
                if r.status == 200:
                    return proc
        except OSError:
            continue
    proc.terminate()
    sys.exit(f"bench: the server did not start; see {log.name}")


def wrk(args: argparse.Namespace, token: str, paths: list[str],
        seconds: float | None = None) -> dict[str, Any]:
    script = Path(args.data_dir) / "bench-fhir.lua"
    script.write_text(LUA % {"paths": ",".join(json.dumps(p) for p in paths),
                             "token": token})
    out = subprocess.run(
        ["wrk", f"-t{min(2, args.connections)}", f"-c{args.connections}",
         f"-d{seconds or args.seconds}s", "--latency", "-s", str(script), f"http://127.0.0.1:{args.port}"],
        capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]

    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       out)
    socket_errors = sum(int(g) for g in socket.groups()) if socket else 0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p95 = re.search(r"^p95_us (\d+)", out, re.M)
    return {"requests": total,
            "errors": (int(non2xx.group(1)) if non2xx else 0) + socket_errors,
            "req_s": rps, "p50_ms": ms("50"), "p90_ms": ms("90"),
            "p95_ms": round(int(p95.group(1)) / 1000, 2) if p95 else float("nan"),
            "p99_ms": ms("99")}


def check_once(args: argparse.Namespace, token: str, path: str) -> None:
    req = urllib.request.Request(f"http://127.0.0.1:{args.port}{path}",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310
        if r.status != 200:
            sys.exit(f"bench: {path} answered {r.status}")


def export_run(args: argparse.Namespace, env: dict[str, str], clinic: int | None,
               mode: str, jobs: int) -> dict[str, Any]:
    """`puncta export` in a child process: wall time, resources written, the CPU time of
    the export's processes (user + system, its worker processes included), peak RSS (the
    largest of them) and the load average around it."""
    with tempfile.TemporaryDirectory(dir=args.data_dir) as out:
        cmd = [str(BIN / "puncta"), "export", "--format", "ndjson", out, "--validate", mode,
               "--jobs", str(jobs)]
        if clinic is not None:
            cmd += ["--clinic", str(clinic)]
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        text = proc.stdout.read().decode() if proc.stdout else ""
        if status != 0:
            sys.exit(f"bench: export failed: {proc.stderr.read().decode() if proc.stderr else ''}")
        resources = sum(int(m) for m in re.findall(r": (\d+) →", text))
        size = sum(p.stat().st_size for p in Path(out).rglob("*.ndjson"))
    cpu = usage.ru_utime + usage.ru_stime
    return {"clinic": clinic, "validate": mode, "jobs": jobs, "resources": resources,
            "seconds": round(seconds, 1), "resources_s": round(resources / seconds),
            "cpu_s": round(cpu, 1), "resources_per_cpu_s": round(resources / cpu) if cpu else None,
            "peak_rss_mib": round(usage.ru_maxrss / 1024), "ndjson_mib": round(size / 2**20, 1),
            "load_before": round(load_before, 1), "load_after": round(os.getloadavg()[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3,
                        help="seconds of unmeasured load before each operation")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8151)
    parser.add_argument("--data-dir", default=tempfile.mkdtemp(prefix="puncta-bench-fhir-"))
    parser.add_argument("--validate", action="append", choices=["all", "shapes", "none"],
                        help="export validation policy; repeat to run several (default: "
                             "shapes)")
    parser.add_argument("--jobs", type=int, action="append",
                        help="export processes; repeat to run several (default: 1 and 2)")
    parser.add_argument("--export-network-only", action="store_true",
                        help="export every clinic only (not the largest clinic alone)")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()
    env = configure(args)
    wl = workload(args)
    load = os.getloadavg()
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} "
                   f"{platform.python_version()}, load average at start {load[0]:.1f}",
        "database": args.database_url.split("@")[-1].split("://")[-1],
        "patients": wl["patients_total"], "clinics": wl["clinics"],
        "clinic": wl["clinic"], "clinic_patients": wl["clinic_patients"],
        "connections": args.connections, "workers": args.workers, "seconds": args.seconds,
        "http": {}, "export": []}
    if not args.skip_http:
        ops = {
            "fhir_read": [f"/fhir/Patient/{i}" for i in wl["ids"]],
            "api_read": [f"/api/v1/patients/{i}" for i in wl["ids"]],
            "fhir_search_name": [f"/fhir/Patient?name={quote(f)}&_count=20"
                                 for f in wl["frags"]],
            "api_search_name": [f"/api/v1/patients?q={quote(f)}&limit=20"
                                for f in wl["frags"]],
        }
        server = start_server(args, env)
        try:
            for name, paths in ops.items():
                check_once(args, wl["token"], paths[0])
                if args.warmup:  # every worker imports and builds what the path needs
                    wrk(args, wl["token"], paths, seconds=args.warmup)
                results["http"][name] = wrk(args, wl["token"], paths)
                print(name, results["http"][name], flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    if not args.skip_export:
        clinics = (None,) if args.export_network_only else (wl["clinic"], None)
        for clinic in clinics:
            for mode in args.validate or ["shapes"]:
                for jobs in args.jobs or [1, 2]:
                    results["export"].append(export_run(args, env, clinic, mode, jobs))
                    print("export", results["export"][-1], flush=True)
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
