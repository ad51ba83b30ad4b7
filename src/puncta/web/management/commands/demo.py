from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from puncta.web.demo import DEMO_PASSWORD, PERSONAS, seed_demo


class Command(BaseCommand):
    help = "Migrate, seed the demo clinic (once) and serve it on http://127.0.0.1:PORT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="prepare only")

    def handle(self, *args: Any, **o: Any) -> None:
        if not 1 <= o["port"] <= 65535:
            raise CommandError(f"--port must be between 1 and 65535, not {o['port']}")
        call_command("migrate", interactive=False, verbosity=0)
        created = seed_demo()
        self.stdout.write("Demo clinic " + ("created." if created else "already present."))
        # Anchor the seeded audit log at once (the worker then checkpoints on its schedule),
        # so `puncta audit verify` on a fresh demo checks the chain against a signature.
        call_command("audit", "checkpoint", verbosity=0)
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for p in PERSONAS:
            self.stdout.write(f"  {p.username:<15} {p.role:<22} {p.clinic}")
        if not o["no_serve"]:
            self.stdout.write(f"\nServing on http://127.0.0.1:{o['port']}/  (Ctrl-C stops)")
            call_command("serve", port=o["port"])
