"""Treatment plans: a course per concern, zones with planned depth, versioned."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Severity(models.TextChoices):
    LIGHT = "light", _("Light (one session a year)")
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class DeviceType(models.TextChoices):
    PEN = "pen", _("Pen")
    ROLLER = "roller", _("Roller")
    STAMP = "stamp", _("Stamp")


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class TreatmentPlan(models.Model):
    """One version of a plan. Changing a plan writes a new version; the old one stays,
    marked superseded. ``series`` is the first version: it names the course over time."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="plans")
    series = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="versions")
    version = models.PositiveIntegerField(default=1)
    superseded_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=PlanStatus.choices,
                              default=PlanStatus.ACTIVE)
    indication = models.CharField(_("indication"), max_length=20)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    start = models.DateField(_("first session from"))
    device_type = models.CharField(_("planned device type"), max_length=8,
                                   choices=DeviceType.choices, default=DeviceType.PEN)
    goals = models.TextField(_("goals"), blank=True, max_length=2000)
    numbing_minutes = models.PositiveSmallIntegerField(
        _("numbing dwell (minutes)"), default=30,
        validators=[MinValueValidator(15), MaxValueValidator(60)])
    course = models.JSONField(default=dict)  # rules.plan_course(...).to_dict()
    verdict = models.CharField(max_length=8)  # allow / review / refuse
    findings = models.JSONField(default=list)
    rules_version = models.CharField(max_length=32)
    approved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_note = models.TextField(blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "superseded_at"], name="plan_patient")]

    def __str__(self) -> str:
        return f"plan {self.series_id or self.pk} v{self.version} ({self.indication})"

    @property
    def indication_label(self) -> str:
        """The indication in the reader's language (names come from the rules' data)."""
        from django.utils.translation import get_language

        from puncta import rules

        fr = (get_language() or "en").startswith("fr")
        for row in rules.codes()["indications"]:
            if row["code"] == self.indication:
                return str(row["fr"] if fr else row["en"])
        return self.indication

    @property
    def series_id_value(self) -> int:
        return self.series_id or self.pk

    @property
    def needs_approval(self) -> bool:
        return self.verdict == "review" and self.approved_at is None

    @property
    def bookable(self) -> bool:
        return (self.superseded_at is None and self.status == PlanStatus.ACTIVE
                and (self.verdict == "allow" or (self.verdict == "review"
                                                 and self.approved_at is not None)))

    @property
    def max_depth(self) -> Decimal:
        return max((z.depth_mm for z in self.zones.all()), default=Decimal(0))


class PlanZone(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="zones")
    zone = models.CharField(_("zone"), max_length=24)  # rules zone code, e.g. cheek_left
    depth_mm = models.DecimalField(_("depth (mm)"), max_digits=3, decimal_places=2,
                                   validators=[MinValueValidator(Decimal("0.05")),
                                               MaxValueValidator(Decimal("5"))])
    passes = models.PositiveSmallIntegerField(_("passes"), default=3,
                                              validators=[MaxValueValidator(20)])

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["plan", "zone"], name="plan_zone_once")]

    def __str__(self) -> str:
        return f"{self.zone} {self.depth_mm} mm"
