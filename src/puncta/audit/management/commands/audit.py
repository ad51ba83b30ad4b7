from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from puncta.audit.verify import verify_chain


class Command(BaseCommand):
    help = "Audit log tools: 'verify' checks the hash chain and names the first broken link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            where = f"event {report.broken_at}" if report.broken_at else "the end of the chain"
            raise CommandError(
                f"audit chain broken at {where}: {report.problem} "
                f"({report.checked} events verified before it)"
            )
        self.stdout.write(f"audit chain intact: {report.checked} events verified")
