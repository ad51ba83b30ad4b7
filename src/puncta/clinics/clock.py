"""The clinic's clock: the one way to ask "what day and time is it here?".

Times are stored in UTC; a clinical day is the clinic's (or, for something that happens at
a site, the location's) local day. The web middleware activates the clinic's zone for a
request, but the API, the CLI and the worker have no request: they must not fall back to
the server's zone (UTC), or a patient screened at 20:00 in Vancouver would be a day older
than the clinic thinks. Services, API handlers, commands and tasks call these functions
with the clinic (or location) the action belongs to.

A location carries its own zone because a network can span zones; where both are known
the location wins for anything that happens at the site (a session's date, a lot drawn at
the chair), and the clinic's zone is used for clinic-wide dates (screening validity).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache
from typing import Protocol

from django.utils import timezone


class HasTimeZone(Protocol):
    time_zone: str


@lru_cache(maxsize=256)
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def tz_of(place: HasTimeZone) -> zoneinfo.ZoneInfo:
    return zone(place.time_zone)


def now() -> dt.datetime:
    """The current instant (aware, UTC). The single read of the wall clock."""
    return timezone.now()


def local_now(place: HasTimeZone, at: dt.datetime | None = None) -> dt.datetime:
    """The current (or given) instant in the place's zone."""
    return (at or now()).astimezone(tz_of(place))


def today(place: HasTimeZone) -> dt.date:
    """The calendar day it is now at the clinic or location."""
    return local_now(place).date()


def local_date(place: HasTimeZone, at: dt.datetime) -> dt.date:
    """The local calendar day of an instant at the place."""
    return at.astimezone(tz_of(place)).date()


def start_of_day(place: HasTimeZone, day: dt.date) -> dt.datetime:
    """Midnight at the start of a local day, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz_of(place))


def utc_today() -> dt.date:
    """The UTC calendar day, for what belongs to no clinic (a national registry's licence
    checked from the command line without ``--on``). Anything clinical uses ``today``."""
    return now().astimezone(dt.UTC).date()


def active_today() -> dt.date:
    """The day in the zone a web request activated (the signed-in clinic's, set by the
    clinic middleware): for form validation inside a request only. Services, the API, the
    CLI and the worker pass their clinic to ``today`` instead."""
    return timezone.localdate()
