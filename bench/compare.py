"""Two commits (or one commit under two settings) in one sitting, same database, same
load: the wrk phases of bench/run.py alternated A/B, then the in-process measurements of
each, side by side with the ratio B/A. Prints a table and writes JSON.

    .venv/bin/python bench/compare.py --database-url URL main bench          # two refs
    .venv/bin/python bench/compare.py --database-url URL HEAD HEAD \\
        --b-env PUNCTA_SOMETHING=1                                           # two settings

Each ref is checked out with ``git worktree add --detach`` under /tmp (the working tree
itself for ``.``) and served with ``PYTHONPATH=<worktree>/src``. Migrations run with A's
code, then B's: when B adds migrations, A's code runs on B's schema (it must still work
there). The bench's own setup (plans, drafts, tokens) uses this tree's code.

Both servers run all along (an idle gunicorn costs nothing); each phase runs on A then B,
the next on B then A, so a drift of the machine's load during the sitting falls on both.
Each side books its own plans and saves its own drafts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run
from cpu import CpuMeter

ROOT = Path(__file__).resolve().parents[1]


def worktree(ref: str, label: str) -> Path:
    """A checkout of ref under /tmp (reused when already there); ``.``: this tree."""
    if ref == ".":
        return ROOT
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{ref}^{{commit}}"],
                         capture_output=True, text=True, check=False)
    if sha.returncode != 0:
        sys.exit(f"compare: no commit {ref!r}: {sha.stderr.strip()}")
    path = Path(f"/tmp/puncta-compare-{label}-{sha.stdout.strip()[:10]}")
    if not (path / "src" / "puncta").is_dir():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path),
                        sha.stdout.strip()], check=True, capture_output=True)
    return path


def env_pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            sys.exit(f"compare: --a-env/--b-env take KEY=VALUE, not {item!r}")
        out[key] = value
    return out


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or a == 0:
        return None
    return b / a


ROWS = [("rps", "req/s"), ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"), ("p99_ms", "p99 ms"),
        ("queries_mean", "SQL/req"), ("app_cpu_ms_header", "app CPU ms (header)")]
CPU_ROWS = [("app_ms_per_req", "app CPU ms/req"), ("db_ms_per_req", "db CPU ms/req"),
            ("server_ms_per_req", "server CPU ms/req")]


def side_by_side(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (phase, operation, figure) with A, B and B/A; errors alongside."""
    rows = []
    for phase in a.get("phases", {}):
        pa, pb = a["phases"][phase], b["phases"].get(phase)
        if pb is None:
            continue
        for key, label in CPU_ROWS:
            rows.append({"phase": phase, "op": "(phase)", "figure": label,
                         "a": pa["cpu"][key], "b": pb["cpu"][key],
                         "ratio": ratio(pa["cpu"][key], pb["cpu"][key])})
        ops = [*pa["operations"], *(["(all)"] if len(pa["operations"]) > 1 else [])]
        for op in ops:
            va = pa["total"] if op == "(all)" else pa["operations"][op]
            vb = pb["total"] if op == "(all)" else pb["operations"].get(op)
            if vb is None:
                continue
            for key, label in ROWS:
                if va.get(key) is None and vb.get(key) is None:
                    continue
                rows.append({"phase": phase, "op": op, "figure": label, "a": va.get(key),
                             "b": vb.get(key), "ratio": ratio(va.get(key), vb.get(key))})
            for key in ("errors", "refused"):
                if va.get(key) or vb.get(key) or key == "errors":
                    rows.append({"phase": phase, "op": op, "figure": key, "a": va.get(key),
                                 "b": vb.get(key), "ratio": None})
    for name in ("calendar_week", "series_proposal"):
        ia, ib = a.get("inprocess", {}).get(name), b.get("inprocess", {}).get(name)
        if ia and ib:
            for key in ("p50_ms", "p95_ms", "cpu_ms", "queries"):
                rows.append({"phase": "in-process", "op": name, "figure": key, "a": ia[key],
                             "b": ib[key], "ratio": ratio(ia[key], ib[key])})
    fa = a.get("inprocess", {}).get("patient_page_raw_floor")
    fb = b.get("inprocess", {}).get("patient_page_raw_floor")
    if fa and fb:
        for key, va, vb in (("page CPU ms", fa["page"]["cpu_ms"], fb["page"]["cpu_ms"]),
                            ("raw floor CPU ms", fa["raw"]["cpu_ms"], fb["raw"]["cpu_ms"]),
                            ("page/floor CPU", fa["cpu_ratio"], fb["cpu_ratio"])):
            rows.append({"phase": "in-process", "op": "patient_page", "figure": key,
                         "a": va, "b": vb, "ratio": ratio(va, vb)})
    return rows


def print_rows(rows: list[dict[str, Any]], a: str, b: str) -> None:
    print(f"\n{'phase':<17}{'operation':<18}{'figure':<20}{a[:11]:>12}{b[:11]:>12}{'B/A':>7}")
    last = None
    for r in rows:
        key = (r["phase"], r["op"])
        phase, op = (r["phase"], r["op"]) if key != last else ("", "")
        last = key
        print(f"{phase:<17}{op:<18}{r['figure']:<20}{run.fmt(r['a'], '.2f'):>12}"
              f"{run.fmt(r['b'], '.2f'):>12}{run.fmt(r['ratio'], '.2f'):>7}")


def main() -> None:
    ap = run.parser()
    ap.description = (__doc__ or "").splitlines()[0]
    ap.add_argument("ref_a", help="git ref of A ('.' for this working tree)")
    ap.add_argument("ref_b", help="git ref of B ('.' for this working tree)")
    ap.add_argument("--a-env", action="append", default=[], metavar="KEY=VALUE",
                    help="environment of A's server (repeatable)")
    ap.add_argument("--b-env", action="append", default=[], metavar="KEY=VALUE")
    ap.set_defaults(json="bench/results-compare.json", seconds=10, client="wrk")
    args = ap.parse_args()
    if not args.database_url:
        sys.exit("compare: pass --database-url (or set DATABASE_URL)")
    phases = [p for p in args.phases.split(",") if p]
    if set(phases) - set(run.PHASES):
        sys.exit(f"compare: unknown phases; known: {', '.join(run.PHASES)}")
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    sides = {"A": (args.ref_a, worktree(args.ref_a, "a"), env_pairs(args.a_env)),
             "B": (args.ref_b, worktree(args.ref_b, "b"), env_pairs(args.b_env))}
    load = os.getloadavg()[0]
    env = run.configure(args)
    for label, (ref, tree, extra) in sides.items():
        print(f"compare: {label} = {ref} at {tree}; migrating with its code", flush=True)
        subprocess.run([str(run.BIN / "puncta"), "migrate", "-v", "0"], check=True,
                       env={**os.environ, **extra, "PYTHONPATH": str(tree / "src")})
    from django.db import connection

    from puncta.patients.models import Patient

    wl = run.workload(args)
    conns = {label: run.make_conns(wl, run.conn_tokens(wl, args.connections), part=i,
                                   parts=2) for i, label in enumerate(sides)}
    for c in conns.values():
        run.check_conns(c, phases)
    size = Patient.objects.count()
    vendor = connection.vendor
    dbname = run.database_name()
    connection.close()
    servers, meters, peaks = {}, {}, {}
    reports: dict[str, dict[str, Any]] = {}
    try:
        for i, (label, (_, tree, extra)) in enumerate(sides.items()):
            servers[label] = run.start_server(args, {**env, **extra}, args.port + i,
                                              tree / "src", f"gunicorn-{label}")
            meters[label] = CpuMeter(app_pid=servers[label].pid, database=dbname)
            peaks[label] = [0]
            reports[label] = {"ref": sides[label][0], "tree": str(tree), "env": extra,
                              "phases": {}}
        for i, label in enumerate(sides):
            run.warm_up(conns[label], wl, args.port + i, args)
        for n, phase in enumerate(phases):
            order = list(sides) if n % 2 == 0 else list(reversed(sides))
            for label in order:
                i = list(sides).index(label)
                r = run.wrk_phase(phase, conns[label], wl, args.port + i, args,
                                  meters[label], servers[label].pid, peaks[label],
                                  tag=f"-{label}")
                reports[label]["phases"][phase] = r
                print(f"compare: {phase} {label}: {r['total']['rps']:.0f} req/s, p95 "
                      f"{r['total']['p95_ms']:.1f} ms, server CPU "
                      f"{r['cpu']['server_ms_per_req']:.2f} ms/req, "
                      f"{r['total']['errors']} errors", flush=True)
    finally:
        for proc in servers.values():
            run.stop_server(proc)
    for label, (_, tree, extra) in sides.items():
        reports[label]["server_peak_rss_mib"] = peaks[label][0] / 2**20
        if args.inprocess_runs:
            reports[label]["inprocess"] = run.inprocess(args, wl, tree / "src", f"-{label}",
                                                        extra)
    rows = side_by_side(reports["A"], reports["B"])
    out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "database": vendor,
           "patients": size, "mode": args.mode, "workers": args.workers,
           "connections": args.connections, "seconds": args.seconds,
           "load_at_start": load, "A": reports["A"], "B": reports["B"],
           "rows": rows}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=2, default=str))
    print(f"\n{vendor} · {size:,} patients · {args.mode} · {args.workers} workers · "
          f"{args.connections} wrk connections · {args.seconds:g} s per phase and side")
    print_rows(rows, f"A {args.ref_a}", f"B {args.ref_b}")
    for label in sides:
        for phase, r in reports[label]["phases"].items():
            if r["error_samples"]:
                print(f"{label} {phase} errors: {', '.join(r['error_samples'])}")
    print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
