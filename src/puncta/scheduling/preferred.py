"""A preferred time of day for a series: the slot search keeps to the morning, the
afternoon or the evening (local time at the location), instead of the first free slot
from opening time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from .series import SlotFinder

TIMES_OF_DAY: dict[str, tuple[dt.time, dt.time]] = {
    "morning": (dt.time(7, 0), dt.time(12, 0)),
    "afternoon": (dt.time(12, 0), dt.time(17, 0)),
    "evening": (dt.time(17, 0), dt.time(21, 0)),
}
CHOICES = [("", _("Any time")), ("morning", _("Morning (before noon)")),
           ("afternoon", _("Afternoon (noon to 5 pm)")), ("evening", _("Evening (after 5 pm)"))]


def time_of_day(value: Any) -> str:
    return value if value in TIMES_OF_DAY else ""


class PreferredSlotFinder(SlotFinder):
    """The clinic's slot search, arrival times limited to one part of the day."""

    def __init__(self, plan: Any, *, prefer: str = "", **kwargs: Any) -> None:
        super().__init__(plan, **kwargs)
        self.prefer = time_of_day(prefer)
        if self.prefer:
            self.window = TIMES_OF_DAY[self.prefer]
