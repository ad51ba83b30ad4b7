from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone


class Command(BaseCommand):
    help = ("Run the background worker: reminders, check-ins and recalls, sealing and "
            "signed checkpoints of the audit log (django-tasks-db).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true",
                            help="run the tasks that are due, then stop")

    def handle(self, *args: Any, **options: Any) -> None:
        from puncta.audit.sealer import Sealer
        from puncta.audit.tasks import ensure_scheduled
        from puncta.ops.heartbeat import Heartbeat

        # The heartbeat /readyz reads on every app server: one beat now, then every half
        # minute from a thread while the task loop runs (a --batch run beats once).
        heartbeat = Heartbeat(started_at=timezone.now())
        heartbeat.once()
        # Audit events writers left unsealed: sealed now, then every few seconds.
        sealer = Sealer(every=settings.AUDIT_SEAL_SECONDS)
        sealer.once()
        if not options["batch"]:
            heartbeat.start()
            sealer.start()
        try:
            ensure_scheduled()  # the audit checkpoint cycle: one queued unless one is waiting
            argv = ["--batch"] if options["batch"] else []
            call_command("db_worker", *argv)
        finally:
            heartbeat.halt()
            sealer.halt()
