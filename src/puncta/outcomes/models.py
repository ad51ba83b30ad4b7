"""Outcomes of a course: standard photographs, scale assessments, the follow-up schedule
and the single-use links a phone or a patient uses to send photographs and ratings.

A course is a plan's series: ``plan`` always points at the series' first version (the
root), so every version of a plan shares its outcomes. Photographs are files in the
``photos`` storage (never under a public URL); only their keys are kept here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Timepoint(models.TextChoices):
    BASELINE = "baseline", _("Baseline")
    SESSION = "session", _("Session")
    FOLLOW_UP = "follow_up", _("Follow-up")


class Source(models.TextChoices):
    UPLOAD = "upload", _("Uploaded")
    TABLET = "tablet", _("Clinic tablet")
    PHONE = "phone", _("Phone link")
    PATIENT = "patient", _("Sent by the patient")
    API = "api", _("API")


class TimepointMixin(models.Model):
    timepoint = models.CharField(_("when"), max_length=10, choices=Timepoint.choices)
    session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    months = models.PositiveSmallIntegerField(null=True, blank=True)  # follow-ups

    class Meta:
        abstract = True

    @property
    def timepoint_label(self) -> str:
        from django.utils.translation import gettext as _t

        if self.timepoint == Timepoint.SESSION and self.session_number:
            return _t("Session %(n)s") % {"n": self.session_number}
        if self.timepoint == Timepoint.FOLLOW_UP and self.months:
            return _t("Follow-up, %(m)s months") % {"m": self.months}
        return str(Timepoint(self.timepoint).label)


class Photo(TimepointMixin):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="photos")
    plan = models.ForeignKey("plans.TreatmentPlan", on_delete=models.PROTECT, null=True,
                             blank=True, related_name="+")
    chart = models.ForeignKey("charting.Chart", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    taken_on = models.DateField(_("taken on"))
    view = models.CharField(_("view"), max_length=12)
    zone = models.CharField(_("zone"), max_length=24, blank=True)
    # Keys in the photos storage: the cleaned full image, a screen-size copy, a thumbnail.
    key = models.CharField(max_length=200)
    medium_key = models.CharField(max_length=200)
    thumb_key = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=10, choices=Source.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["taken_on", "id"]
        indexes = [models.Index(fields=["patient", "plan", "view"], name="photo_course_view"),
                   models.Index(fields=["clinic", "taken_on"], name="photo_clinic_day")]

    def __str__(self) -> str:
        return f"photo {self.pk} {self.view} {self.taken_on}"


class Assessment(TimepointMixin):
    """One scale filled in once: the answers as given, the total the rules computed."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="assessments")
    plan = models.ForeignKey("plans.TreatmentPlan", on_delete=models.PROTECT, null=True,
                             blank=True, related_name="+")
    chart = models.ForeignKey("charting.Chart", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    on = models.DateField(_("date"))
    scale = models.CharField(_("scale"), max_length=32)
    rater = models.CharField(max_length=10)  # clinician | patient
    answers = models.JSONField(default=dict)
    total = models.IntegerField()
    band = models.CharField(max_length=40, blank=True)
    scales_version = models.CharField(max_length=32)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    by_patient = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]
        indexes = [models.Index(fields=["patient", "plan", "scale"], name="assess_course"),
                   models.Index(fields=["clinic", "scale"], name="assess_clinic_scale")]

    def __str__(self) -> str:
        return f"{self.scale}={self.total} on {self.on}"


class LinkPurpose(models.TextChoices):
    CAPTURE = "capture", _("Photographs from a phone")
    FOLLOW_UP = "follow_up", _("Patient's follow-up")


class OutcomeLink(TimepointMixin):
    """A single-use, expiring link: a clinic phone sends photographs, or a patient sends
    ratings and photographs. Only the token's SHA-256 is kept."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="outcome_links")
    plan = models.ForeignKey("plans.TreatmentPlan", on_delete=models.PROTECT, null=True,
                             blank=True, related_name="+")
    chart = models.ForeignKey("charting.Chart", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    purpose = models.CharField(max_length=10, choices=LinkPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"outcome link {self.pk} ({self.purpose})"


class DueStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    REMINDED = "reminded", _("Clinic reminded")
    SENT = "sent", _("Link sent to the patient")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class FollowUp(models.Model):
    """A follow-up of a course falling due (outcomes schedule), joined to the recalls."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="outcome_follow_ups")
    plan = models.ForeignKey("plans.TreatmentPlan", on_delete=models.PROTECT, related_name="+")
    months = models.PositiveSmallIntegerField()
    due_on = models.DateField(_("due on"))
    status = models.CharField(max_length=10, choices=DueStatus.choices,
                              default=DueStatus.SCHEDULED)
    link = models.ForeignKey(OutcomeLink, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "months"],
                                               name="follow_up_unique")]
        indexes = [models.Index(fields=["clinic", "status", "due_on"], name="follow_up_due")]

    def __str__(self) -> str:
        return f"follow-up {self.months} months, due {self.due_on}"
