"""Finding free slots: working hours, time off and live appointments, in memory.

Busy intervals are held as integers (microseconds since 1970, read so from the database)
in sorted lists, one per room, practitioner and device: a search compares integers and
bisects, never datetimes of different time zones. Days are loaded in batches (a run of
days is one range of the ``(clinic, start)`` index; the runs of one batch are one query),
so a search costs the batches it asks for, not the size of the calendar.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from puncta.accounts.models import Membership
from puncta.accounts.roles import has_perm, roles_with
from puncta.clinics.models import Clinic, Location, Room
from puncta.devices.models import Device

from .models import LIVE, Appointment, TimeOff, WorkingHours

STEP = dt.timedelta(minutes=15)
Interval = tuple[dt.datetime, dt.datetime]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
# Rows of the calendar query: what they are (first column).
_APPT, _OFF, _HOURS = 0, 1, 2
_ROOMS, _PRS, _DEVS = 0, 1, 2


def _insert(lst: list[tuple[int, int]], iv: tuple[int, int]) -> None:
    i = bisect_left(lst, iv)
    if i < len(lst) and lst[i] == iv:
        return
    lst.insert(i, iv)


def _free(lst: list[tuple[int, int]] | None, start: int, end: int) -> bool:
    if not lst:
        return True
    i = bisect_left(lst, (start, start))
    # the interval before may reach into ours; the one at i may start before our end
    if i > 0 and lst[i - 1][1] > start:
        return False
    return not (i < len(lst) and lst[i][0] < end)


def us(moment: dt.datetime) -> int:
    """An aware datetime as microseconds since 1970 (exact, whatever its time zone)."""
    return (moment - EPOCH) // _US


def _micros(column: str) -> str:
    """SQL for a datetime column as microseconds since 1970, computed by the database:
    integers are cheap to fetch and compare (no datetime parsing per row)."""
    if connection.vendor == "sqlite":
        # Django stores 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC: whole seconds, then the six
        # digits of the fraction when there is one ('%%s': a literal % for the driver).
        return (f"(CAST(strftime('%%s', {column}) AS INTEGER) * 1000000"
                f" + CAST(COALESCE(NULLIF(substr({column}, 21, 6), ''), '0') AS INTEGER))")
    return f"CAST(ROUND(EXTRACT(EPOCH FROM {column}) * 1000000) AS BIGINT)"


def _micros_of_day(column: str) -> str:
    """SQL for a time column as microseconds since midnight."""
    if connection.vendor == "sqlite":
        return (f"(CAST(strftime('%%s', '1970-01-01 ' || {column}) AS INTEGER) * 1000000"
                f" + CAST(COALESCE(NULLIF(substr({column}, 10, 6), ''), '0') AS INTEGER))")
    return f"CAST(ROUND(EXTRACT(EPOCH FROM {column}) * 1000000) AS BIGINT)"


def micros_of_day(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _columns(model: Any, *names: str) -> dict[str, str]:
    q = connection.ops.quote_name
    return {"table": q(model._meta.db_table),
            **{n: q(model._meta.get_field(n).column) for n in names}}


def local_dt(day: dt.date, t: dt.time, tz: str) -> dt.datetime:
    """A wall-clock time at a location, as an aware datetime (DST-correct)."""
    return dt.datetime.combine(day, t, tzinfo=zoneinfo.ZoneInfo(tz))


def day_bounds(day: dt.date, tz: str) -> Interval:
    return local_dt(day, dt.time.min, tz), local_dt(day + dt.timedelta(days=1), dt.time.min, tz)


# Working hours of one member: (location id, weekday, from, to, on site), the times in
# microseconds since midnight.
Hours = tuple[int, int, int, int, bool]


class Calendar:
    """Busy intervals per resource ('room:ID', 'pr:ID', 'dev:ID') for one clinic."""

    def __init__(self, clinic: Clinic, *, ignore: Iterable[int] = ()) -> None:
        self.clinic = clinic
        self.ignore = set(ignore)
        # Busy intervals (from, to) in microseconds, sorted, per room, practitioner, device.
        self._rooms: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self._prs: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self._devs: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self._loaded: set[tuple[dt.date, str]] = set()
        # Working hours and time off come with the first load of days (the same query),
        # or on their own when asked for first.
        self._hours: dict[int, list[Hours]] = defaultdict(list)
        self._hours_loaded = False
        self._time_off: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self._time_off_loaded = False

    def load_day(self, day: dt.date, tz: str) -> None:
        """Make sure ``day`` is loaded."""
        if (day, tz) not in self._loaded:
            self.load_days([day], tz)

    def loaded(self, day: dt.date, tz: str) -> bool:
        return (day, tz) in self._loaded

    def load_around(self, days: Iterable[dt.date], tz: str) -> None:
        """Kept for callers written before ``load_days`` (same thing)."""
        self.load_days(days, tz)

    def load_days(self, days: Iterable[dt.date], tz: str) -> None:
        """Load ``days`` in a single query, one range per run of consecutive days, joined
        with UNION ALL (each keeps its index range scan); days already loaded are skipped.
        The clinic's time off comes with the first load (same query)."""
        wanted = sorted({d for d in days} - {d for d, z in self._loaded if z == tz})
        if not wanted:
            return
        runs: list[list[dt.date]] = []
        for d in wanted:
            if runs and d - runs[-1][-1] == dt.timedelta(days=1):
                runs[-1].append(d)
            else:
                runs.append([d])
        # Hand-written SQL, one SELECT per run: the ORM took longer to compile the
        # UNION of a proposal (7 parts) than the database took to answer it.
        a = _columns(Appointment, "clinic", "status", "room", "practitioner", "device",
                     "start", "treat_start", "end", "id")
        adapt = connection.ops.adapt_datetimefield_value
        ignore = sorted(self.ignore)
        # Only quoted table and column names are formatted in; every value is a parameter.
        part = (f"SELECT {_APPT}, {a['room']}, {a['practitioner']}, {a['device']}, "  # noqa: S608
                f"{_micros(a['start'])}, {_micros(a['treat_start'])}, {_micros(a['end'])} "
                f"FROM {a['table']} WHERE {a['clinic']} = %s AND {a['status']} IN "
                f"({', '.join(['%s'] * len(LIVE))}) AND {a['start']} >= %s AND "
                f"{a['start']} < %s AND {a['end']} > %s"
                + (f" AND {a['id']} NOT IN ({', '.join(['%s'] * len(ignore))})"
                   if ignore else ""))
        parts: list[str] = []
        params: list[Any] = []
        for run in runs:
            lo, _ = day_bounds(run[0], tz)
            _, hi = day_bounds(run[-1], tz)
            # Appointments never run past midnight, so those touching a day start within
            # a day before it: a range on (clinic, start), which the index serves.
            parts.append(part)
            params += [self.clinic.pk, *LIVE, adapt(lo - dt.timedelta(days=1)), adapt(hi),
                       adapt(lo), *ignore]
        if not self._hours_loaded:
            parts.append(self._hours_sql())
            params.append(self.clinic.pk)
            self._hours_loaded = True
        if not self._time_off_loaded:
            parts.append(self._time_off_sql())
            params.append(self.clinic.pk)
            self._time_off_loaded = True
        self._loaded.update((d, tz) for d in wanted)
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            rows = cursor.fetchall()
        rooms, prs, devs, off = self._rooms, self._prs, self._devs, self._time_off
        touched: set[tuple[int, int]] = set()  # (_ROOMS, _PRS or _DEVS, id)
        for kind, room, pr, dev, start, treat, end in rows:
            if kind == _OFF:
                off[pr].append((start, end))
                continue
            if kind == _HOURS:  # (location, member, weekday, from, on site, to)
                self._hours[pr].append((room, dev, start, end, bool(treat)))
                continue
            rooms[room].append((start, end))
            prs[pr].append((treat, end))
            touched.add((_ROOMS, room))
            touched.add((_PRS, pr))
            if dev is not None:
                devs[dev].append((treat, end))
                touched.add((_DEVS, dev))
        # Sorted once per resource; an appointment read twice (two loads both reaching
        # across a midnight) is kept once.
        by_kind = (rooms, prs, devs)
        for kind, pk in touched:
            lst = by_kind[kind][pk]
            lst[:] = sorted(set(lst))

    def add(self, room: int, pr: int, dev: int | None, start: dt.datetime,
            treat: dt.datetime, end: dt.datetime) -> None:
        s, t, e = us(start), us(treat), us(end)
        _insert(self._rooms[room], (s, e))
        _insert(self._prs[pr], (t, e))
        if dev is not None:
            _insert(self._devs[dev], (t, e))

    def _lists(self, key: str) -> list[tuple[int, int]] | None:
        kind, _, pk = key.partition(":")
        return {"room": self._rooms, "pr": self._prs, "dev": self._devs}[kind].get(int(pk))

    def free(self, key: str, start: dt.datetime, end: dt.datetime) -> bool:
        """``key`` is 'room:ID', 'pr:ID' or 'dev:ID'."""
        return _free(self._lists(key), us(start), us(end))

    def room_free(self, pk: int, start: int, end: int) -> bool:
        return _free(self._rooms.get(pk), start, end)

    def practitioner_free(self, pk: int, start: int, end: int) -> bool:
        return _free(self._prs.get(pk), start, end)

    def device_free(self, pk: int, start: int, end: int) -> bool:
        return _free(self._devs.get(pk), start, end)

    def load_staff(self) -> None:
        """Working hours and time off, in one query, for a caller that loads no days."""
        if self._hours_loaded or self._time_off_loaded:
            return  # one of them is in: the other comes on its own when asked for
        with connection.cursor() as cursor:
            cursor.execute(f"{self._hours_sql()} UNION ALL {self._time_off_sql()}",
                           [self.clinic.pk, self.clinic.pk])
            for kind, loc, member, day, start, site, end in cursor.fetchall():
                if kind == _HOURS:
                    self._hours[member].append((loc, day, start, end, bool(site)))
                else:
                    self._time_off[member].append((start, end))
        self._hours_loaded = self._time_off_loaded = True

    @staticmethod
    def _time_off_sql() -> str:
        """Time off of the clinic's members, shaped as calendar rows."""
        t = _columns(TimeOff, "membership", "start", "end")
        m = _columns(Membership, "id", "clinic")
        return (f"SELECT {_OFF}, NULL, {t['membership']}, NULL, {_micros(t['start'])}, "  # noqa: S608
                f"{_micros(t['start'])}, {_micros(t['end'])} FROM {t['table']} "
                f"INNER JOIN {m['table']} ON {t['table']}.{t['membership']} = "
                f"{m['table']}.{m['id']} WHERE {m['table']}.{m['clinic']} = %s")

    @staticmethod
    def _hours_sql() -> str:
        """Working hours of the clinic's active members, shaped as calendar rows."""
        h = _columns(WorkingHours, "membership", "location", "weekday", "start", "end",
                     "on_site")
        m = _columns(Membership, "id", "clinic", "is_active")
        return (f"SELECT {_HOURS}, {h['location']}, {h['membership']}, {h['weekday']}, "  # noqa: S608
                f"{_micros_of_day(h['table'] + '.' + h['start'])}, "
                f"CASE WHEN {h['on_site']} THEN 1 ELSE 0 END, "
                f"{_micros_of_day(h['table'] + '.' + h['end'])} FROM {h['table']} "
                f"INNER JOIN {m['table']} ON {h['table']}.{h['membership']} = "
                f"{m['table']}.{m['id']} WHERE {m['table']}.{m['clinic']} = %s AND "
                f"{m['table']}.{m['is_active']}")

    @property
    def hours(self) -> dict[int, list[Hours]]:
        if not self._hours_loaded:
            with connection.cursor() as cursor:
                cursor.execute(self._hours_sql(), [self.clinic.pk])
                for _, loc, member, day, start, site, end in cursor.fetchall():
                    self._hours[member].append((loc, day, start, end, bool(site)))
            self._hours_loaded = True
        return self._hours

    def _load_time_off(self) -> None:
        for m, s, e in TimeOff.objects.filter(membership__clinic=self.clinic).order_by(
                ).values_list("membership_id", "start", "end"):
            self._time_off[m].append((us(s), us(e)))
        self._time_off_loaded = True

    def off(self, membership_id: int, start: dt.datetime, end: dt.datetime) -> bool:
        return self.off_us(membership_id, us(start), us(end))

    def off_us(self, membership_id: int, start: int, end: int) -> bool:
        if not self._time_off_loaded:
            self._load_time_off()
        return any(s < end and e > start for s, e in self._time_off.get(membership_id, ()))

    def works(self, membership_id: int, location: Location, start: dt.datetime,
              end: dt.datetime, *, on_site: bool = True) -> bool:
        """Working hours at this location cover [start, end) (on site when asked)."""
        tz = zoneinfo.ZoneInfo(location.time_zone)
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        if local_start.date() != local_end.date():
            return False  # sessions never run past midnight
        return self.works_local(membership_id, location.pk, local_start.weekday(),
                                micros_of_day(local_start.time()),
                                micros_of_day(local_end.time()), on_site=on_site)

    def works_local(self, membership_id: int, location_id: int, weekday: int,
                    start: int, end: int, *, on_site: bool = True) -> bool:
        """``works`` with the local weekday and times already worked out (same day)."""
        return any(
            loc == location_id and day == weekday and (site or not on_site)
            and h_start <= start and end <= h_end
            for loc, day, h_start, h_end, site in self.hours.get(membership_id, ()))


@dataclass(frozen=True)
class Slot:
    location: Location
    room: Room
    practitioner: Membership
    supervisor: Membership | None
    device: Device
    start: dt.datetime
    treat_start: dt.datetime
    end: dt.datetime


def clinic_resources(clinic: Clinic, device_type: str) -> tuple[
        list[Membership], list[Membership], list[Device], dict[int, list[Room]]]:
    """Clinicians, physicians, in-service devices of the planned type, rooms per location."""
    members = list(Membership.objects.select_related("user").filter(
        clinic=clinic, is_active=True, user__is_active=True,
        role__in=roles_with("procedure.perform")).order_by("id"))
    physicians = [m for m in members if has_perm(m.role, "procedure.supervise")]
    devices = list(Device.objects.select_related("licence").filter(
        clinic=clinic, status="in_service", kind=device_type).order_by("id"))
    rooms: dict[int, list[Room]] = defaultdict(list)
    for room in (Room.objects.select_related("location")
                 .filter(location__clinic=clinic, is_active=True).order_by("id")):
        rooms[room.location_id].append(room)
    return members, physicians, devices, rooms
