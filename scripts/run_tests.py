"""The whole suite, as `make test` runs it.

1. Quality gates: ruff, mypy over all of src/puncta with django-stubs (strict on
   puncta.rules), import-linter (layer order).
2. pytest on SQLite, always.
3. pytest on PostgreSQL when DATABASE_URL points at one, or when a local server answers
   on 127.0.0.1:5432 (user postgres); pytest-django creates a fresh test database there.
Exits non-zero when anything fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(title: str, cmd: list[str], env: dict[str, str] | None = None) -> int:
    print(f"\n=== {title}: {' '.join(cmd)}", flush=True)
    return subprocess.call(cmd, cwd=ROOT, env=env)  # noqa: S603


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    if url:
        return None
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=2
        ):
            return "postgres://postgres@127.0.0.1:5432/puncta"
    except Exception:
        return None


def main() -> int:
    lint_only = "--lint-only" in sys.argv
    extra = [a for a in sys.argv[1:] if a != "--lint-only"]
    failures = []
    gates = [
        ("ruff", [str(BIN / "ruff"), "check", "src", "tests", "bench", "scripts"]),
        ("mypy (src/puncta; strict on puncta.rules)", [str(BIN / "mypy")]),
        ("import-linter", [str(BIN / "lint-imports")]),
    ]
    for title, cmd in gates:
        if run(title, cmd) != 0:
            failures.append(title)
    if lint_only:
        return 1 if failures else 0

    base_env = {**os.environ, "PUNCTA_MODE": "test"}
    sqlite_env = {**base_env, "DATABASE_URL": "sqlite:///:memory:"}
    # Two workers: this machine has two cores; each worker gets its own test database.
    pytest = [sys.executable, "-m", "pytest", "-n", "2", *extra]
    if run("pytest on SQLite", pytest, sqlite_env) != 0:
        failures.append("pytest on SQLite")
    pg = postgres_url()
    if pg:
        # The schemathesis conformance run is about the API, not the database: once is enough.
        pg_pytest = [*pytest, "-m", "not schemathesis"]
        if run("pytest on PostgreSQL", pg_pytest, {**base_env, "DATABASE_URL": pg}) != 0:
            failures.append("pytest on PostgreSQL")
    else:
        print("\n=== PostgreSQL: no DATABASE_URL and no local server; ran SQLite only.")
    if failures:
        print("\nFAILED: " + ", ".join(failures))
        return 1
    print("\nAll checks passed" + (" on SQLite and PostgreSQL." if pg else " on SQLite."))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
