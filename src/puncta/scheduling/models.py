"""Working hours, time off, appointments and the messages sent about them.

An appointment holds three intervals: the room from ``start`` to ``end`` (the patient
sits with numbing cream first), the practitioner and the device from ``treat_start`` to
``end``. No two live appointments may overlap on the same room, practitioner or device:
PostgreSQL enforces it with exclusion constraints (migration 0002); on SQLite every
booking runs in an IMMEDIATE transaction, so bookings are serialized and checked.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WorkingHours(models.Model):
    """A weekly pattern: this member works here on this weekday between these times
    (local time of the location). ``on_site`` off means reachable for supervision only."""

    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE,
                                   related_name="working_hours")
    location = models.ForeignKey("clinics.Location", on_delete=models.CASCADE,
                                 related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))
    on_site = models.BooleanField(_("on site"), default=True)

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [models.CheckConstraint(condition=models.Q(start__lt=models.F("end")),
                                              name="hours_start_before_end")]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.get_weekday_display()} {self.start}-{self.end}"


class TimeOff(models.Model):
    membership = models.ForeignKey("accounts.Membership", on_delete=models.CASCADE,
                                   related_name="time_off")
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("to"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(start__lt=models.F("end")),
                                              name="timeoff_start_before_end")]

    def __str__(self) -> str:
        return f"time off {self.membership_id} {self.start:%Y-%m-%d}"


class Kind(models.TextChoices):
    TREATMENT = "treatment", _("Treatment")
    CHECKIN = "checkin", _("Check-in")
    CONSULT = "consult", _("Consultation")


class Status(models.TextChoices):
    BOOKED = "booked", _("Booked")
    COMPLETED = "completed", _("Completed")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


LIVE = (Status.BOOKED, Status.COMPLETED)


class Appointment(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT,
                               related_name="appointments")
    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT,
                                 related_name="appointments")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="appointments")
    plan = models.ForeignKey("plans.TreatmentPlan", on_delete=models.PROTECT, null=True,
                             blank=True, related_name="appointments")
    # The plan's series (first version): sessions stay in their course when it is revised.
    series = models.ForeignKey("plans.TreatmentPlan", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="series_appointments")
    session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TREATMENT)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    practitioner = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT,
                                     related_name="appointments")
    supervisor = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="supervised_appointments")
    room = models.ForeignKey("clinics.Room", on_delete=models.PROTECT,
                             related_name="appointments")
    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="appointments")
    start = models.DateTimeField(_("arrives"))
    treat_start = models.DateTimeField(_("treatment starts"))
    end = models.DateTimeField(_("ends"))
    window_earliest = models.DateField(null=True, blank=True)
    window_latest = models.DateField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    override_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")
    flag = models.CharField(max_length=300, blank=True)  # why a re-flow could not fit it
    rules_verdict = models.CharField(max_length=8, blank=True)
    rules_findings = models.JSONField(default=list, blank=True)
    rules_version = models.CharField(max_length=32, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["location", "start"], name="appt_location_start"),
            models.Index(fields=["clinic", "start"], name="appt_clinic_start"),
            # The dashboard's queues count a clinic's booked sessions from today on.
            models.Index(fields=["clinic", "status", "start"], name="appt_clinic_status_start"),
            models.Index(fields=["practitioner", "start"], name="appt_practitioner_start"),
            models.Index(fields=["patient", "start"], name="appt_patient_start"),
            models.Index(fields=["series", "session_number"], name="appt_series"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lte=models.F("treat_start"),
                                   treat_start__lt=models.F("end")),
                name="appt_intervals_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} {self.start:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def live(self) -> bool:
        return self.status in LIVE


class PatientMessage(models.Model):
    """Every reminder, check-in and recall, sent or skipped, logged against the patient."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="messages")
    appointment = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="messages")
    kind = models.CharField(max_length=20)  # reminder_48h, reminder_24h, checkin, recall
    channel = models.CharField(max_length=10, default="email")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=10)  # queued, sent, skipped, cancelled
    reason = models.CharField(max_length=200, blank=True)
    send_after = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-send_after", "-created_at"]
        indexes = [models.Index(fields=["patient", "-send_after"], name="message_patient"),
                   # The dashboard's counts of this week's messages.
                   models.Index(fields=["send_after"], name="message_send_after")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.patient_id}: {self.status}"
