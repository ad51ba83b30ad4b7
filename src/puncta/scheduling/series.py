"""Proposing a course's sessions inside their windows, with every resource they need."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.utils import timezone
from django.utils.translation import gettext as _

from puncta import rules
from puncta.accounts.models import Membership
from puncta.clinics import clock
from puncta.clinics.models import Location
from puncta.plans.models import TreatmentPlan

from . import durations
from .availability import (
    STEP,
    Calendar,
    Slot,
    clinic_resources,
    local_dt,
    micros_of_day,
    us,
)
from .eligibility import Eligibility
from .models import LIVE, Appointment, Kind
from .selectors import sessions_done

DAY_START, DAY_END = dt.time(7, 0), dt.time(21, 0)
# Days of each session's search read up front (its target and the next one it would try):
# on a calendar 90% full (bench/scheduling.py), 98% of sessions find their slot within two
# days of searching; every day read costs ~150 rows, so reading more up front costs more
# than the rare extra query.
PREFETCH_DAYS = 2


@dataclass
class ProposedSession:
    number: int
    earliest: dt.date
    target: dt.date
    latest: dt.date
    slot: Slot | None = None
    appointment: Appointment | None = None  # already booked or done
    problems: list[str] = field(default_factory=list)


def series_appointments(plan: TreatmentPlan) -> list[Appointment]:
    root = plan.series_id or plan.pk
    return list(Appointment.objects.filter(series_id=root, kind=Kind.TREATMENT,
                                           status__in=LIVE)
                .select_related("practitioner__user", "supervisor__user", "room", "device",
                                "location").order_by("session_number", "start"))


def local_date(appt: Appointment) -> dt.date:
    return clock.local_date(appt.location, appt.start)


def course_windows(plan: TreatmentPlan, dates: list[dt.date]) -> rules.Course:
    """The course's windows counted from the sessions' actual dates. Dates that do not
    follow the one before (data from before the booking check refused it) are read as the
    next day, rather than failing: session numbers stay aligned with their windows."""
    ordered: list[dt.date] = []
    for d in dates:
        ordered.append(d if not ordered or d > ordered[-1]
                       else ordered[-1] + dt.timedelta(days=1))
    return rules.plan_course(plan.indication, plan.severity, start=plan.start, done=ordered)


def _days(earliest: dt.date, target: dt.date, latest: dt.date, not_before: dt.date
          ) -> Iterator[dt.date]:
    """Target first, then alternately later and earlier days, inside the window."""
    for offset in range(0, (latest - earliest).days + 1):
        for day in ((target + dt.timedelta(days=offset),) if offset == 0 else
                    (target + dt.timedelta(days=offset), target - dt.timedelta(days=offset))):
            if earliest <= day <= latest and day >= not_before:
                yield day


class SlotFinder:
    def __init__(self, plan: TreatmentPlan, *, practitioner: Membership | None = None,
                 location: Location | None = None, ignore: list[int] | None = None) -> None:
        self.plan = plan
        self.clinic = plan.patient.clinic
        self.calendar = Calendar(self.clinic, ignore=ignore or [])
        members, self.physicians, self.devices, self.rooms = clinic_resources(
            self.clinic, plan.device_type)
        self.all_members = members
        self.members = [practitioner] if practitioner else members
        # Locations with rooms, read with the rooms (a location without rooms books nothing).
        located = {rs[0].location.pk: rs[0].location for rs in self.rooms.values() if rs}
        self.locations = [location] if location else sorted(located.values(),
                                                            key=lambda loc: loc.name)
        self.zone_count = plan.zones.count()
        self.eligibility = Eligibility(plan, sessions_done(plan.patient_id))
        self.reasons: set[str] = set()
        # The part of the day arrivals are searched in (a preferred time of day narrows it).
        self.window: tuple[dt.time, dt.time] = (DAY_START, DAY_END)

    def find(self, day: dt.date, *, after: dt.datetime | None = None) -> Slot | None:
        now = us(after or timezone.now())
        for location in self.locations:
            rooms = self.rooms.get(location.pk, [])
            if not rooms:
                continue
            self.calendar.load_day(day, location.time_zone)
            t = local_dt(day, self.window[0], location.time_zone)
            last = local_dt(day, self.window[1], location.time_zone)
            while t < last:
                slot = self._at(location, rooms, t, day, now)
                if slot is not None:
                    return slot
                t += STEP
        return None

    def _at(self, location: Location, rooms: list, t: dt.datetime, day: dt.date,
            now: int) -> Slot | None:
        start, treat, end = durations.intervals(
            t, numbing_min=self.plan.numbing_minutes, zone_count=self.zone_count,
            severity=self.plan.severity)
        s, tr, e = us(start), us(treat), us(end)
        if s < now:
            return None
        cal = self.calendar
        room = next((r for r in rooms if cal.room_free(r.pk, s, e)), None)
        if room is None:
            return None
        # Local weekday and times of the treatment, worked out once for every member.
        tz = zoneinfo.ZoneInfo(location.time_zone)
        lt, le = treat.astimezone(tz), end.astimezone(tz)
        when = ((lt.weekday(), micros_of_day(lt.time()), micros_of_day(le.time()))
                if lt.date() == le.date() else None)
        for pr in self.members:
            if when is None or not cal.works_local(pr.pk, location.pk, *when) \
                    or cal.off_us(pr.pk, tr, e) or not cal.practitioner_free(pr.pk, tr, e):
                continue
            for device in self.devices:
                if not cal.device_free(device.pk, tr, e):
                    continue
                supervisor = None
                if self.eligibility.refusals(pr, None, device, day):
                    if not self.eligibility.needs_supervisor(pr, device, day):
                        self.reasons.update(f.message for f in self.eligibility.refusals(
                            pr, None, device, day))
                        continue
                    supervisor = self._supervisor(location, pr, tr, e, when)
                    if supervisor is None:
                        self.reasons.add(_("No supervising physician is available when "
                                           "%(who)s could treat.") % {"who": pr.user})
                        continue
                    if self.eligibility.refusals(pr, supervisor, device, day):
                        continue
                return Slot(location, room, pr, supervisor, device, start, treat, end)
        return None

    def _supervisor(self, location: Location, pr: Membership, treat: int, end: int,
                    when: tuple[int, int, int]) -> Membership | None:
        on_site = self.clinic.supervision_on_site
        for doc in self.physicians:
            if doc.pk == pr.pk:
                continue
            if self.calendar.works_local(doc.pk, location.pk, *when, on_site=on_site) \
                    and not self.calendar.off_us(doc.pk, treat, end):
                return doc
        return None


def propose_series(plan: TreatmentPlan, *, practitioner: Membership | None = None,
                   location: Location | None = None, today: dt.date | None = None,
                   finder: SlotFinder | None = None,
                   appointments: list[Appointment] | None = None) -> list[ProposedSession]:
    """Every session of the course: those booked or done as they are, the others with a
    proposed slot inside their window (each counted from the one before), or the reason
    none fits. ``appointments``: the series' appointments when the caller read them."""
    today = today or clock.today(plan.patient.clinic)
    if appointments is None:
        appointments = series_appointments(plan)
    booked = {a.session_number: a for a in appointments}
    finder = finder or SlotFinder(plan, practitioner=practitioner, location=location)
    dates: list[dt.date] = []
    out: list[ProposedSession] = []
    course = course_windows(plan, [])
    # Predict each session's target (booked dates where known, else targets chained from
    # the plan's start) and load the first days each search would look at, for all the
    # sessions in one query. A search that goes past them (a full calendar, or a session
    # before it that landed later than predicted) loads its next days in one more query,
    # twice as many each time: at most log2(window) more per session, whatever the size
    # of the calendar.
    predicted: list[dt.date] = []
    ahead: list[dt.date] = []
    for n in range(1, len(course.sessions) + 1):
        w = course_windows(plan, predicted).sessions[n - 1]
        appt = booked.get(n)
        predicted.append(local_date(appt) if appt else max(w.target, today))
        if appt is None:
            ahead.extend(islice(_days(w.earliest, max(w.target, min(today, w.latest)),
                                      w.latest, today), PREFETCH_DAYS))
    for loc in finder.locations:
        finder.calendar.load_days(ahead, loc.time_zone)
    for n in range(1, len(course.sessions) + 1):
        window = course_windows(plan, dates).sessions[n - 1]
        earliest, latest = window.earliest, window.latest
        item = ProposedSession(n, earliest, window.target, latest)
        appt = booked.get(n)
        if appt is not None:
            item.appointment = appt
            dates.append(local_date(appt))
        else:
            order = list(_days(earliest, max(window.target, min(today, latest)), latest,
                               today))
            chunk = 2 * PREFETCH_DAYS
            for i, day in enumerate(order):
                for loc in finder.locations:
                    if not finder.calendar.loaded(day, loc.time_zone):
                        # the next days of the search, twice as many each time
                        finder.calendar.load_days(order[i:i + chunk], loc.time_zone)
                        chunk *= 2
                slot = finder.find(day)
                if slot is not None:
                    item.slot = slot
                    finder.calendar.add(slot.room.pk, slot.practitioner.pk, slot.device.pk,
                                        slot.start, slot.treat_start, slot.end)
                    dates.append(day)
                    break
            if item.slot is None:
                item.problems = sorted(finder.reasons) or [
                    _("No free slot with an allowed practitioner, a room and a device inside "
                      "this window.")]
        out.append(item)
        if item.slot is None and item.appointment is None:
            break  # later windows count from this one: nothing sound to propose
    return out
