"""iCalendar export (RFC 5545) of appointments, with the icalendar library."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from icalendar import Calendar, Event

from .models import Appointment


def calendar_of(appts: Iterable[Appointment], name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Puncta//Microneedling//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    now = timezone.now()
    for a in appts:
        ev = Event()
        ev.add("uid", f"appointment-{a.pk}@puncta")
        ev.add("dtstamp", now)
        ev.add("dtstart", a.start)
        ev.add("dtend", a.end)
        number = f" {a.session_number}" if a.session_number else ""
        # A calendar feed leaves the clinic (phones, shared calendars): initials and the MRN
        # only, never the patient's name.
        ev.add("summary", f"Microneedling{number} — {patient_initials(a.patient)} "
                          f"({a.patient.mrn})")
        ev.add("location", f"{a.location.name}, {a.room.name}")
        ev.add("description", f"Practitioner: {a.practitioner.user}"
               + (f"; supervising physician: {a.supervisor.user}" if a.supervisor else ""))
        ev.add("status", "CONFIRMED" if a.status == "booked" else "CANCELLED"
               if a.status == "cancelled" else "CONFIRMED")
        cal.add_component(ev)
    return cal.to_ical()


def patient_initials(patient: object) -> str:
    parts = [str(getattr(patient, "given_name", "") or ""),
             str(getattr(patient, "family_name", "") or "")]
    return "".join(f"{p[0].upper()}." for p in parts if p)
