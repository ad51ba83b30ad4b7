from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from puncta.audit.backup import BackupError, backup


class Command(BaseCommand):
    help = ("Back up the database (SQLite online backup or pg_dump), media and the signed "
            "audit checkpoints into a new directory DEST. The audit key is not included "
            "unless --include-key.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path)
        parser.add_argument("--include-key", action="store_true",
                            help="also copy the audit signing key (keep that backup apart)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup(options["dest"], include_key=options["include_key"])
        except BackupError as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        self.stdout.write(f"backup written to {result.path}: {result.files} files, audit "
                          f"checkpoint {result.checkpoint}")
