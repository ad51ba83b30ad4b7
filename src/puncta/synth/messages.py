"""Patient message texts from the app's own builders, rendered once per template.

``scheduling.reminders.message_text`` (reminders, booked check-ins, recalls) and
``charting.services.checkin_text`` (the check-in queued at signing) are the one definition
of what a patient reads. Rendering each of 800,000 messages through them (a translation
switch, gettext lookups, the rules' pre-care list) was a tenth of the seed; the texts
differ between patients only by the given name and the appointment's time. So each
builder is called once per template (kind, language, clinic, location; for the check-in
the depth too) with a placeholder name and a ``_Stamp`` standing in for the time, which
records how the builder formats it (``astimezone(tz).strftime(fmt)``, ``isoformat()``);
every message is then the rendered template with the name and the time, formatted the
recorded way, put in. ``tests/test_seed_definitions.py`` compares seeded texts with the
builders' output.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.utils import translation

from puncta.charting.services import checkin_text
from puncta.scheduling.reminders import message_text

NAME = "\x00name\x00"
WHEN = "\x00when\x00"


class _Stamp:
    """A date or time as the builders see it: each formatting call chain is recorded."""

    def __init__(self) -> None:
        self.chain: tuple[tuple[str, tuple[Any, ...]], ...] | None = None
        self._calls: list[tuple[str, tuple[Any, ...]]] = []

    def astimezone(self, tz: dt.tzinfo) -> _Stamp:
        self._calls.append(("astimezone", (tz,)))
        return self

    def strftime(self, fmt: str) -> str:
        return self._end(("strftime", (fmt,)))

    def isoformat(self) -> str:
        return self._end(("isoformat", ()))

    def _end(self, call: tuple[str, tuple[Any, ...]]) -> str:
        chain = (*self._calls, call)
        self._calls = []
        if self.chain is not None and chain != self.chain:
            raise ValueError("the builder formats the time in two ways")
        self.chain = chain
        return WHEN

    def fill(self, value: Any) -> str:
        if self.chain is None:
            return ""
        for name, args in self.chain:
            value = getattr(value, name)(*args)
        return str(value)


class _Template:
    def __init__(self, subject: str, body: str, stamp: _Stamp) -> None:
        self.subject, self.body, self.stamp = subject, body, stamp

    def render(self, name: str, when: Any) -> tuple[str, str]:
        stamp = self.stamp.fill(when)
        return (self.subject.replace(NAME, name).replace(WHEN, stamp),
                self.body.replace(NAME, name).replace(WHEN, stamp))


class MessageTexts:
    def __init__(self) -> None:
        self._cache: dict[tuple[Any, ...], _Template] = {}

    def appointment(self, kind: str, lang: str, patient: Any, clinic: Any, location: Any,
                    start: dt.datetime) -> tuple[str, str]:
        """``message_text(kind, appointment)`` in the patient's language."""
        key = ("appt", kind, lang, clinic.pk, location.pk)
        t = self._cache.get(key)
        if t is None:
            stamp = _Stamp()
            view = SimpleNamespace(patient=SimpleNamespace(given_name=NAME), clinic=clinic,
                                   location=location, start=stamp)
            with translation.override(lang):
                t = self._cache[key] = _Template(*message_text(kind, view), stamp)
        return t.render(patient.given_name, start)

    def checkin(self, lang: str, patient: Any, clinic: Any, aftercare: dict[str, Any] | None,
                on: dt.date) -> tuple[str, str]:
        """``checkin_text(chart, lang)`` of a signed chart."""
        depth = (aftercare or {}).get("max_depth_mm")
        key = ("checkin", lang, clinic.pk, depth)
        t = self._cache.get(key)
        if t is None:
            stamp = _Stamp()
            chart = SimpleNamespace(aftercare=aftercare, on=stamp, patient=SimpleNamespace(
                given_name=NAME, clinic=clinic))
            t = self._cache[key] = _Template(*checkin_text(chart, lang), stamp)
        return t.render(patient.given_name, on)
