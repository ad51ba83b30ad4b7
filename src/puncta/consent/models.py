"""Versioned consent templates and the consents patients sign."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Procedure(models.TextChoices):
    MICRONEEDLING = "microneedling", _("Microneedling")
    NUMBING = "numbing", _("Topical numbing cream")
    PHOTOGRAPHY = "photography", _("Clinical photography")


class ConsentTemplate(models.Model):
    """One version of a consent document, per clinic, procedure and language.

    Published versions never change: a correction is a new version, and patients who
    signed an older one must consent again before their next session.
    """

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT,
                               related_name="consent_templates")
    procedure = models.CharField(_("procedure"), max_length=20, choices=Procedure.choices)
    language = models.CharField(_("language"), max_length=2,
                                choices=[("en", _("English")), ("fr", _("French"))])
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=20000)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+")

    class Meta:
        ordering = ["procedure", "language", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "procedure", "language", "version"],
                                    name="consent_template_version"),
        ]

    def __str__(self) -> str:
        return f"{self.get_procedure_display()} ({self.language}) v{self.version}"


class Method(models.TextChoices):
    DRAWN = "drawn", _("Signed on screen")
    PAPER = "paper", _("Paper consent, scanned")


class Consent(models.Model):
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT,
                                related_name="consents")
    template = models.ForeignKey(ConsentTemplate, on_delete=models.PROTECT,
                                 related_name="consents")
    method = models.CharField(max_length=10, choices=Method.choices)
    signer_name = models.CharField(_("signed by"), max_length=200)
    signer_relationship = models.CharField(
        _("relationship to the patient"), max_length=100, blank=True,
        help_text=_("Leave empty when the patient signs; e.g. parent or guardian."),
    )
    witness = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    # The exact text the patient saw, and its SHA-256: what was signed can be proven.
    rendered_text = models.TextField()
    document_sha256 = models.CharField(max_length=64)
    signature_svg = models.TextField(blank=True)
    signature_strokes = models.JSONField(default=list, blank=True)
    paper_scan = models.FileField(upload_to="consents/%Y/%m/", blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+")

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["patient", "-signed_at"], name="consent_patient")]

    def __str__(self) -> str:
        return f"consent {self.pk}: {self.template} by {self.signer_name}"
