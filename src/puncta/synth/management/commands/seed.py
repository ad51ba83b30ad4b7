from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from puncta.synth import base as synth

# The generator's own dependencies come with the `synth` extra (not installed in
# production); without them the command says how to get them instead of a traceback.
EXTRA = ("faker", "tqdm")
INSTALL_HINT = ("puncta seed needs the synth extra (Faker, tqdm): "
                "pip install 'puncta[synth]' (or: make install-dev)")


class Command(BaseCommand):
    help = ("Generate a synthetic clinic network (clinics, staff, devices, patients with "
            "intake, screening, consents and audit trail) into the configured database.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinics", type=int, default=3)
        parser.add_argument("--patients", type=int, default=1000,
                            help="patients in total, spread unevenly over the clinics")
        parser.add_argument("--years", type=int, default=3, help="years of history")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                            help="last day of the history (YYYY-MM-DD; default today)")
        parser.add_argument("--batch-size", type=int, default=synth.SeedConfig.batch_size)
        parser.add_argument("--password", default=synth.BENCH_PASSWORD,
                            help="password of every seeded user")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        if any(importlib.util.find_spec(name) is None for name in EXTRA):
            self.stderr.write(INSTALL_HINT)
            sys.exit(2)
        from puncta.synth.generator import generate

        try:
            cfg = synth.SeedConfig(
                clinics=o["clinics"], patients=o["patients"], years=o["years"],
                seed=o["seed"], today=o["today"] or dt.date.today(),
                batch_size=o["batch_size"], password=o["password"],
                progress=not o["no_progress"] and o["verbosity"] > 0,
            )
            summary = generate(cfg)
        except synth.SeedError as exc:
            raise CommandError(str(exc)) from None
        if o["verbosity"] > 0:
            for line in summary.lines():
                self.stdout.write(line)
