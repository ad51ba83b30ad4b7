"""The session chart: what was done at the point of care, checked by the rules on every
save, signed by the practitioner, co-signed by the supervising physician when the rules
ask for it, then locked; corrections are amendments that keep both versions.

The clinical content of a chart (today's questions, numbing, zones, products) is one JSON
document (``content``) in a fixed shape (see ``forms.EMPTY``): it is what the rules are
asked about, what the SHA-256 is computed over, and what an amendment replaces. People,
the device and the lot are foreign keys so they can be queried (queues, recall trace).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChartStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_COSIGN = "pending_cosign", _("Signed, awaiting co-signature")
    FINAL = "final", _("Signed and locked")


class Chart(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="charts")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="charts")
    appointment = models.OneToOneField("scheduling.Appointment", on_delete=models.PROTECT,
                                       null=True, blank=True, related_name="chart")
    plan = models.ForeignKey("plans.TreatmentPlan", on_delete=models.PROTECT, null=True,
                             blank=True, related_name="charts")
    indication = models.CharField(_("indication"), max_length=20)
    severity = models.CharField(_("severity"), max_length=10, blank=True)
    on = models.DateField(_("session date"))
    practitioner = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT,
                                     related_name="charts", verbose_name=_("practitioner"))
    supervisor = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="supervised_charts",
                                   verbose_name=_("supervising physician"))
    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="charts", verbose_name=_("device"))
    lot = models.ForeignKey("devices.CartridgeLot", on_delete=models.PROTECT, null=True,
                            blank=True, related_name="charts", verbose_name=_("cartridge lot"))
    lot_draw = models.OneToOneField("devices.LotDraw", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="chart")
    content = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=ChartStatus.choices,
                              default=ChartStatus.DRAFT)
    # The rules' answer to the last save (and, once signed, to the signed content).
    verdict = models.CharField(max_length=8, blank=True)
    findings = models.JSONField(default=list, blank=True)
    rules_version = models.CharField(max_length=32, blank=True)
    input_errors = models.JSONField(default=dict, blank=True)  # ui id -> message
    cosign_required = models.BooleanField(default=False)
    # The rules required a supervising physician for this session (dermal depth, a medical
    # indication): what the compliance page checks attestation against. cosign_required
    # is wider (a "review" verdict is co-signed without needing supervision).
    supervision_required = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_content = models.JSONField(null=True, blank=True)  # the canonical document
    sha256 = models.CharField(max_length=64, blank=True)
    cosigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosign_note = models.TextField(blank=True, max_length=2000)
    aftercare = models.JSONField(null=True, blank=True)  # the sheet as given to the patient
    # A co-signer may return a signed chart to its author with a note instead of co-signing:
    # it leaves the co-sign queue until the author answers with an amendment.
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    return_note = models.TextField(blank=True, max_length=2000)
    # The supervising physician's own confirmation (signed in as themselves) that they
    # supervised: required before a supervised dermal chart can be signed.
    supervision_attested_by = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+")
    supervision_attested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-on", "-id"]
        indexes = [
            models.Index(fields=["patient", "on"], name="chart_patient_on"),
            models.Index(fields=["clinic", "status"], name="chart_clinic_status"),
            models.Index(fields=["supervisor", "status"], name="chart_supervisor_status"),
        ]

    def __str__(self) -> str:
        return f"chart {self.pk} {self.on} ({self.status})"

    @property
    def locked(self) -> bool:
        return self.status != ChartStatus.DRAFT

    @property
    def max_depth(self) -> float | None:
        depths = [float(z["depth_mm"]) for z in self.content.get("zones", [])
                  if z.get("depth_mm")]
        return max(depths) if depths else None


class Amendment(models.Model):
    """A correction to a locked chart: the reason, the content before and after, the
    rules' answer to the new content and its SHA-256. Never edited, never deleted."""

    chart = models.ForeignKey(Chart, on_delete=models.PROTECT, related_name="amendments")
    number = models.PositiveSmallIntegerField()
    reason = models.TextField(_("reason"), max_length=2000)
    before = models.JSONField()
    after = models.JSONField()
    changed = models.JSONField(default=list)  # top-level keys that differ
    verdict = models.CharField(max_length=8)
    findings = models.JSONField(default=list)
    rules_version = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["chart", "number"]
        constraints = [models.UniqueConstraint(fields=["chart", "number"],
                                               name="amendment_unique_number")]

    def __str__(self) -> str:
        return f"amendment {self.number} of chart {self.chart_id}"


class AEPhase(models.TextChoices):
    DURING = "during", _("During the session")
    AFTER = "after", _("After the session")
    CHECKIN = "checkin", _("Reported at check-in")


class AEKind(models.TextChoices):
    BLEEDING = "bleeding", _("Bleeding beyond pinpoint")
    PAIN = "pain", _("Pain")
    VASOVAGAL = "vasovagal", _("Fainting / vasovagal reaction")
    ALLERGY = "allergy", _("Allergic reaction")
    BLISTER = "blister", _("Blistering or burn")
    INFECTION = "infection", _("Infection")
    HERPES = "herpes", _("Cold sore outbreak")
    PIH = "pih", _("Hyperpigmentation")
    TRAM_TRACKS = "tram_tracks", _("Track marks / scarring")
    NUMBING = "numbing", _("Reaction to numbing cream")
    OTHER = "other", _("Other")


class AESeverity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class AEStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


class AdverseEvent(models.Model):
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT,
                               related_name="adverse_events")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="adverse_events")
    chart = models.ForeignKey(Chart, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="adverse_events")
    phase = models.CharField(_("when"), max_length=8, choices=AEPhase.choices)
    kind = models.CharField(_("type"), max_length=16, choices=AEKind.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=AESeverity.choices)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    action_taken = models.TextField(_("action taken"), blank=True, max_length=2000)
    occurred_on = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=12, choices=AEStatus.choices,
                              default=AEStatus.OPEN)
    notes = models.JSONField(default=list, blank=True)  # [{at, by, note, status}]
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["clinic", "status"], name="ae_clinic_status")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.severity}) {self.occurred_on}"
