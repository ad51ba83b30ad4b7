"""The worker's sealing loop: every ``PUNCTA_AUDIT_SEAL_SECONDS`` it seals whatever
writers left unsealed (a writer that found another sealer busy or had sealed a moment
ago, or every event with ``PUNCTA_AUDIT_SEAL=worker``).

A thread beside the task loop rather than a task that queues itself again: a task every
two seconds would leave tens of thousands of finished task rows a day behind it."""

from __future__ import annotations

from puncta.ops.periodic import Periodic

from .seal import seal_all


class Sealer(Periodic):
    failure = "audit events not sealed this round"

    def __init__(self, every: float) -> None:
        super().__init__("puncta-audit-sealer", every)

    def work(self) -> int:
        return seal_all()
