"""The worker's sealing loop: every ``PUNCTA_AUDIT_SEAL_SECONDS`` it seals whatever
writers left unsealed (a writer that found another sealer busy or had sealed a moment
ago, or every event with ``PUNCTA_AUDIT_SEAL=worker``).

A thread beside the task loop rather than a task that queues itself again: a task every
two seconds would leave tens of thousands of finished task rows a day behind it."""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError, connection

from .seal import seal_all

log = logging.getLogger(__name__)


class Sealer(threading.Thread):
    def __init__(self, every: float) -> None:
        super().__init__(name="puncta-audit-sealer", daemon=True)
        self.every = every
        self._halt = threading.Event()

    def seal_once(self) -> int:
        try:
            return seal_all()
        except DatabaseError as exc:  # the database may come back: try again next round
            log.warning("audit events not sealed this round: %s", exc)
            return 0
        finally:
            if threading.current_thread() is self:
                connection.close()  # this thread's own connection

    def run(self) -> None:
        while not self._halt.wait(self.every):
            self.seal_once()

    def halt(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=10)
