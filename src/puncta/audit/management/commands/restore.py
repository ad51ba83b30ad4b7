from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from puncta.audit.backup import BackupError, restore
from puncta.audit.verify import verify_chain


class Command(BaseCommand):
    help = ("Restore a backup made by 'puncta backup' into the database of DATABASE_URL "
            "(empty, or --force to replace it), with its media and audit checkpoints, then "
            "verify the audit log.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path)
        parser.add_argument("--force", action="store_true",
                            help="replace the contents of a database that has tables")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore(options["src"], force=options["force"])
        except BackupError as exc:
            raise CommandError(f"restore failed: {exc}") from exc
        if result.set_aside:
            self.stdout.write(f"newer checkpoints kept aside in {result.set_aside}")
        report = verify_chain()
        if not report.ok:
            raise CommandError(f"restored, but the audit log does not verify: {report.problem}")
        self.stdout.write(f"restored {result.files} files; audit chain intact: "
                          f"{report.checked} events verified, checkpoint {report.checkpoint}")
