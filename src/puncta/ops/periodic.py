"""A daemon thread that does one piece of database work every few seconds, beside
``puncta worker``'s task loop (django-tasks-db owns that loop): the heartbeat, sealing the
audit log. A round that fails on the database is logged and tried again next round (the
database may come back); each round closes the thread's own connection, so an idle
worker holds none (PgBouncer)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import DatabaseError, connection

log = logging.getLogger(__name__)


class Periodic(threading.Thread):
    #: Logged, with the database's error, when a round fails.
    failure = "periodic work not done this round"

    def __init__(self, name: str, every: float) -> None:
        super().__init__(name=name, daemon=True)
        self.every = every
        self._halt = threading.Event()

    def work(self) -> Any:
        raise NotImplementedError

    def once(self) -> Any:
        """One round, now, in whatever thread calls it; None if it failed."""
        try:
            return self.work()
        except DatabaseError as exc:
            log.warning("%s: %s", self.failure, exc)
            return None
        finally:
            if threading.current_thread() is self:
                connection.close()  # this thread's own connection

    def run(self) -> None:
        while not self._halt.wait(self.every):
            self.once()

    def halt(self, timeout: float = 10) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=timeout)
