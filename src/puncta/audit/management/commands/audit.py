from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from puncta.audit.checkpoints import CheckpointError, write_checkpoint
from puncta.audit.verify import verify_chain


class Command(BaseCommand):
    help = ("Audit log tools: 'verify' checks every chain, the append-only guards and the "
            "latest signed checkpoint, naming the first broken link; 'checkpoint' signs "
            "the current heads into the checkpoint store.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "checkpoint"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "checkpoint":
            self._checkpoint()
        else:
            self._verify()

    def _checkpoint(self) -> None:
        try:
            cp = write_checkpoint()
        except CheckpointError as exc:
            raise CommandError(f"audit checkpoint refused: {exc}") from exc
        self.stdout.write(f"audit checkpoint {cp.label} written: {cp.events} events in "
                          f"{len(cp.marks)} chains")

    def _verify(self) -> None:
        report = verify_chain()
        if not report.ok:
            if report.broken_at:
                raise CommandError(
                    f"audit chain broken at event {report.broken_at}: {report.problem} "
                    f"({report.checked} events verified before it)")
            raise CommandError(f"audit log not intact: {report.problem} "
                               f"({report.checked} events verified)")
        anchor = (f"; matches checkpoint {report.checkpoint}" if report.checkpoint
                  else "; " + "; ".join(report.notes) if report.notes else "")
        self.stdout.write(f"audit chain intact: {report.checked} events verified in "
                          f"{report.chains} chains{anchor}")
