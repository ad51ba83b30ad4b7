"""The ``puncta`` command: Puncta's own commands plus every ``manage.py`` command.

Errors are one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import os
import sys

USAGE = """usage: puncta COMMAND [ARGS]

Puncta commands:
  demo [--port N] [--no-serve]   migrate, seed the demo clinic, serve on 127.0.0.1:8000
  serve [--port N] [--workers N] serve with gunicorn on 127.0.0.1
  migrate                        create or update the database tables
  createuser USERNAME ...        add a user to a clinic with a role
  token create USERNAME ...      issue an API token for a user's clinic membership
  audit verify                   check the audit log's hash chain
  export --format ndjson DIR     FHIR R4B bulk export (NDJSON per type; --clinic, --type, --since)
  devices import-mdall FILE...   import Health Canada MDALL licence/device/company JSON
  devices verify --licence N     is a licence active and Class II+ (JSON; exit 3 if unknown)
  devices receive-lot|draw ...   receive a cartridge lot; draw one cartridge from it
  devices trace --lot LOT        every session and patient that used a lot (CSV or JSON)
  rules check FILE|-             check a proposed session against the clinical rules (JSON)
  rules plan ...                 print a course of sessions (JSON)
  rules codes                    list condition, medication, procedure and zone codes

Every Django management command works too (puncta help lists them).
Environment: DATABASE_URL, PUNCTA_MODE (demo|dev|test|production), PUNCTA_DATA_DIR.
"""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(USAGE)
        return 0
    if args[0] == "rules":
        # The rules need no Django: keep their start-up fast.
        from puncta.rules.cli import main as rules_main

        return rules_main(args[1:])
    if args[0] == "demo":
        os.environ.setdefault("PUNCTA_MODE", "demo")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puncta.settings")
    return _run_django(args)


def _run_django(args: list[str]) -> int:
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django
        from django.core.management import execute_from_command_line
        from django.db import DatabaseError

        django.setup()
        execute_from_command_line(["puncta", *args])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        return 130
    except ImproperlyConfigured as exc:
        print(f"puncta: configuration error: {exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"puncta: database error: {first} (check DATABASE_URL; run 'puncta migrate')",
              file=sys.stderr)
        return 1
    except Exception as exc:  # last resort: one line, not a traceback
        print(f"puncta: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
