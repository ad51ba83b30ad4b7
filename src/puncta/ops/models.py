from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per running ``puncta worker``, touched every half minute.

    ``seen_at`` is written and compared with the database's clock, so app servers and the
    worker on different machines never compare their own (possibly skewed) clocks.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"
