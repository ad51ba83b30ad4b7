from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = ("Serve Puncta with gunicorn (a production WSGI server) on 127.0.0.1, or on "
            "--host (0.0.0.0 behind a reverse proxy on another machine).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1",
                            help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--timeout", type=int, default=30,
                            help="seconds before a silent worker is restarted (default 30)")

    def handle(self, *args: Any, **o: Any) -> None:
        if not 1 <= o["port"] <= 65535:
            raise CommandError(f"--port must be between 1 and 65535, not {o['port']}")
        if not 1 <= o["workers"] <= 64:
            raise CommandError(f"--workers must be between 1 and 64, not {o['workers']}")
        if not 1 <= o["timeout"] <= 3600:
            raise CommandError(f"--timeout must be between 1 and 3600, not {o['timeout']}")
        host = f"[{o['host']}]" if ":" in o["host"] else o["host"]  # an IPv6 address
        # No gunicorn access log: Puncta writes its own line per request (with the request
        # id and without the query string, which can carry patient data). No control
        # socket: its default path is per user, so two servers on one machine would share
        # it; systemd (or the container runtime) manages the process by signals.
        argv = [
            sys.executable, "-m", "gunicorn", "puncta.wsgi:application",
            "--bind", f"{host}:{o['port']}", "--workers", str(o["workers"]),
            "--timeout", str(o["timeout"]), "--graceful-timeout", "5",
            "--no-control-socket",
        ]
        sys.stdout.flush()
        # Replace this process: gunicorn handles signals and worker lifecycle itself.
        os.execv(sys.executable, argv)  # noqa: S606
