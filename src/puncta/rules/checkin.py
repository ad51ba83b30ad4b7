"""The check-in after a session: its delay and its text (EN/FR), from checkin.toml.

The scheduling app queues the message `after_hours` after the session ends and fills the
placeholders it owns: {name}, {when}, {where}. The rules fill what is clinical: the
expected days of redness for the session's deepest set depth.
"""

from __future__ import annotations

from dataclasses import dataclass

from .data import rules_data
from .model import DayRange
from .recovery import downtime

# Placeholders the sender fills; kept as they are when the rules format the text.
_SENDER = {"name": "{name}", "when": "{when}", "where": "{where}"}


@dataclass(frozen=True, slots=True)
class CheckIn:
    after_hours: int
    subject_en: str
    subject_fr: str
    body_en: str  # still holds {name}, {when}, {where}
    body_fr: str
    downtime: DayRange | None
    source: str

    def subject(self, lang: str) -> str:
        return self.subject_fr if lang.startswith("fr") else self.subject_en

    def body(self, lang: str, *, name: str, when: str, where: str) -> str:
        text = self.body_fr if lang.startswith("fr") else self.body_en
        return text.format(name=name, when=when, where=where)


def checkin(max_depth_mm: float | None = None) -> CheckIn:
    """When and what to write after a session. Without a depth, the general text.

    A depth outside (0, 5] mm raises `RulesInputError` (as `downtime` does).
    """
    row = rules_data().checkin
    if max_depth_mm is None:
        return CheckIn(
            after_hours=row.after_hours,
            subject_en=row.subject_en,
            subject_fr=row.subject_fr,
            body_en=row.body_general_en,
            body_fr=row.body_general_fr,
            downtime=None,
            source=row.source,
        )
    days = downtime(max_depth_mm)
    fill = {**_SENDER, "min": days.min_days, "max": days.max_days}
    return CheckIn(
        after_hours=row.after_hours,
        subject_en=row.subject_en,
        subject_fr=row.subject_fr,
        body_en=row.body_en.format(**fill),
        body_fr=row.body_fr.format(**fill),
        downtime=days,
        source=f"{row.source}; {days.source}",
    )
