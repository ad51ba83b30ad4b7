"""The ``puncta`` command: Puncta's own commands plus every ``manage.py`` command.

Errors are one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

USAGE = """usage: puncta COMMAND [ARGS]

Puncta commands:
  demo [--port N] [--no-serve]   migrate, seed the demo clinic, serve on 127.0.0.1:8000
  serve [--host A] [--port N] [--workers N]
                                 serve with gunicorn (127.0.0.1 unless --host)
  migrate                        create or update the database tables
  createuser USERNAME ...        add a user to a clinic with a role
  token create USERNAME ...      issue an API token for a user's clinic membership
  token list|revoke ...          list tokens; revoke TOKEN_ID or --user USERNAME
  mfa status|reset USERNAME      two-step sign-in: who has it; reset a lost authenticator
  audit verify                   check the audit chains, guards and latest signed checkpoint
  audit checkpoint               sign the audit chains' heads into the checkpoint store
  backup DEST [--include-key]    back up database, media and audit checkpoints to DEST
  restore SRC [--force]          restore a backup into DATABASE_URL, then verify the audit log
  export --format ndjson DIR     FHIR R4B bulk export (NDJSON per type; --clinic, --type, --since)
  devices import-mdall FILE...   import Health Canada MDALL licence/device/company JSON
  devices verify --licence N     is a licence active and Class II+ (JSON; exit 3 if unknown)
  devices receive-lot|draw ...   receive a cartridge lot; draw one cartridge from it
  devices trace --lot LOT        every session and patient that used a lot (CSV or JSON)
  rules check FILE|-             check a proposed session against the clinical rules (JSON)
  rules plan ...                 print a course of sessions (JSON)
  rules codes                    list condition, medication, procedure and zone codes

Every Django management command works too (puncta help lists them).
Environment: DATABASE_URL, PUNCTA_MODE (demo|dev|test|production), PUNCTA_DATA_DIR,
PUNCTA_AUDIT_KEY (see README).
"""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(USAGE)
        return 0
    if args[0] == "rules":
        # The rules need no Django: keep their start-up fast.
        from puncta.rules.cli import main as rules_main

        try:
            return rules_main(args[1:])
        except SystemExit as exc:  # argparse's own exit (usage error: one line, code 2)
            return exc.code if isinstance(exc.code, int) else 2
    if args[0] == "demo":
        os.environ.setdefault("PUNCTA_MODE", "demo")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puncta.settings")
    return _run_django(args)


def _one_line_parser_errors() -> None:
    """Argument errors as one line (Django's parsers print the whole usage first)."""
    from django.core.management.base import CommandParser

    def error(self: CommandParser, message: str) -> NoReturn:
        if getattr(self, "called_from_command_line", False):
            self.exit(2, f"{self.prog}: error: {message} (puncta help {_name(self.prog)})\n")
        raise CommandError(f"Error: {message}")

    from django.core.management.base import CommandError

    CommandParser.error = error  # type: ignore[method-assign,assignment]


def _name(prog: str) -> str:
    return prog.split()[1] if len(prog.split()) > 1 else ""


def _unknown(args: list[str]) -> str | None:
    """The command (or ``help`` topic) Django does not know, if any."""
    from django.core.management import get_commands

    name = args[1] if args[0] == "help" and len(args) > 1 else args[0]
    if name.startswith("-") or name in get_commands() or name in {"help", "version"}:
        return None
    return name


def _run_django(args: list[str]) -> int:
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django
        from django.core.management import execute_from_command_line
        from django.core.management.base import CommandError
        from django.db import DatabaseError

        django.setup()
        _one_line_parser_errors()
        unknown = _unknown(args)
        if unknown is not None:
            print(f"puncta: unknown command {unknown!r} (puncta --help lists them)",
                  file=sys.stderr)
            return 1
        execute_from_command_line(["puncta", *args])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        return 130
    except CommandError as exc:  # raised before the command runs (e.g. by an argument type)
        print(f"puncta: error: {exc}", file=sys.stderr)
        return exc.returncode
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
