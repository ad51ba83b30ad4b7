"""Who works when: weekly working hours, time off and the clinic's supervision setting.

One service per write, each in one transaction with its audit event, used by the hours
page and the API alike. Refusals are ``DomainError`` with the field they concern."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from puncta.accounts.models import Membership
from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.clinics import clock
from puncta.clinics.bounds import day_in_range
from puncta.clinics.errors import DomainError
from puncta.clinics.models import Clinic, Location

from .models import TimeOff, WorkingHours


def _same_clinic(clinic_id: int, member: Membership | None, location: Location | None) -> None:
    if member is None or member.clinic_id != clinic_id:
        raise DomainError(_("Choose a person of this clinic."), code="staff.unknown",
                          field="membership")
    if location is not None and location.clinic_id != clinic_id:
        raise DomainError(_("Choose a location of this clinic."), code="location.unknown",
                          field="location")


def working_hours_add(*, actor: Actor, clinic_id: int, membership: Membership | None,
                      location: Location | None, weekdays: list[int], start: dt.time | None,
                      end: dt.time | None, on_site: bool = True) -> list[WorkingHours]:
    """The same hours on each weekday given (0 = Monday), at a location."""
    _same_clinic(clinic_id, membership, location)
    if location is None or membership is None:
        raise DomainError(_("Choose a location of this clinic."), code="location.unknown",
                          field="location")
    days = sorted(set(weekdays))
    if not days or any(not 0 <= d <= 6 for d in days):
        raise DomainError(_("Choose one or more weekdays."), code="hours.weekdays",
                          field="weekday")
    if start is None or end is None or start >= end:
        raise DomainError(_("The start must be before the end."), code="hours.times",
                          field="end")
    with transaction.atomic():
        rows = [WorkingHours.objects.create(membership=membership, location=location,
                                            weekday=d, start=start, end=end, on_site=on_site)
                for d in days]
        for row in rows:
            record(actor, Action.CREATE, row, data={"membership": row.membership_id,
                                                    "weekday": row.weekday})
    return rows


def working_hours_remove(*, actor: Actor, clinic_id: int, hours_id: int) -> None:
    with transaction.atomic():
        row = WorkingHours.objects.filter(pk=hours_id, membership__clinic_id=clinic_id).first()
        if row is None:
            raise DomainError(_("No such working hours in this clinic."), code="not_found",
                              status=404)
        record(actor, Action.DELETE, row, data={"membership": row.membership_id,
                                                "weekday": row.weekday})
        row.delete()


def time_off_add(*, actor: Actor, clinic_id: int, membership: Membership | None,
                 first_day: dt.date | None, last_day: dt.date | None,
                 reason: str = "") -> TimeOff:
    """Whole days off, from the first to the last day inclusive (clinic's local days)."""
    _same_clinic(clinic_id, membership, None)
    assert membership is not None
    if first_day is None or last_day is None or last_day < first_day \
            or not day_in_range(first_day) or not day_in_range(last_day):
        raise DomainError(_("Give the first and last day off (the last on or after the "
                            "first)."), code="time_off.days", field="end")
    clinic = membership.clinic
    start = clock.start_of_day(clinic, first_day)
    end = clock.start_of_day(clinic, last_day + dt.timedelta(days=1))
    with transaction.atomic():
        off = TimeOff.objects.create(membership=membership, start=start, end=end,
                                     reason=reason.strip()[:200])
        record(actor, Action.CREATE, off, data={"membership": membership.pk})
    return off


def time_off_remove(*, actor: Actor, clinic_id: int, time_off_id: int) -> None:
    with transaction.atomic():
        off = TimeOff.objects.filter(pk=time_off_id, membership__clinic_id=clinic_id).first()
        if off is None:
            raise DomainError(_("No such time off in this clinic."), code="not_found",
                              status=404)
        record(actor, Action.DELETE, off, data={"membership": off.membership_id})
        off.delete()


def clinic_supervision_set(*, actor: Actor, clinic: Clinic, on_site: bool) -> Clinic:
    """Whether a supervising physician must be on site (or may be reachable)."""
    with transaction.atomic():
        clinic.supervision_on_site = on_site
        clinic.save(update_fields=["supervision_on_site"])
        record(actor, Action.UPDATE, clinic, data={"supervision_on_site": on_site})
    return clinic


def clinic_contact_set(*, actor: Actor, clinic: Clinic, phone: str,
                       emergency_instructions: str) -> Clinic:
    """The telephone and emergency instructions printed on every aftercare sheet."""
    with transaction.atomic():
        clinic.phone = phone.strip()[:40]
        clinic.emergency_instructions = emergency_instructions.strip()[:1000]
        clinic.save(update_fields=["phone", "emergency_instructions"])
        record(actor, Action.UPDATE, clinic,
               data={"phone": clinic.phone, "emergency_instructions": True})
    return clinic
