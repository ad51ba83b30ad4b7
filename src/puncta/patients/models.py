"""The patient record."""

from __future__ import annotations

import re
import unicodedata

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from puncta.accounts.models import Language
from puncta.clinics.models import Clinic


class SexAtBirth(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    INTERSEX = "intersex", _("Intersex")
    UNKNOWN = "unknown", _("Not disclosed")


class Concern(models.TextChoices):
    """The indications a patient comes for; codes match the rules engine's indications."""

    FINE_LINES = "fine_lines", _("Fine lines")
    WRINKLES = "wrinkles", _("Wrinkles")
    TONE = "tone", _("Uneven tone")
    TEXTURE = "texture", _("Texture")
    ACNE_SCARS = "acne_scars", _("Acne scars")
    OTHER_SCARS = "other_scars", _("Other scars")
    STRETCH_MARKS = "stretch_marks", _("Stretch marks")
    PIGMENTATION = "pigmentation", _("Pigmentation")


PHOTOTYPES = [
    (1, _("I — always burns, never tans")),
    (2, _("II — usually burns, tans minimally")),
    (3, _("III — sometimes burns, tans uniformly")),
    (4, _("IV — burns minimally, always tans well")),
    (5, _("V — very rarely burns, tans very easily")),
    (6, _("VI — never burns")),
]


def fold(text: str) -> str:
    """Lower-case and strip accents, so 'Hélène' is found by 'helene'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField(_("medical record number"), max_length=32)
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    sex_at_birth = models.CharField(
        _("sex at birth"), max_length=10, choices=SexAtBirth.choices, default=SexAtBirth.UNKNOWN
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.EN
    )
    phototype = models.PositiveSmallIntegerField(
        _("Fitzpatrick phototype"),
        choices=PHOTOTYPES,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    skin_thin = models.BooleanField(_("thin skin"), default=False)
    skin_sensitive = models.BooleanField(_("sensitive skin"), default=False)
    skin_notes = models.TextField(_("skin notes"), blank=True, max_length=4000)
    concerns = models.JSONField(_("concerns"), default=list, blank=True)

    # Derived search keys, maintained in save(): accent-free names and bare digits.
    search_name = models.CharField(max_length=210, editable=False, db_index=True)
    phone_digits = models.CharField(max_length=32, editable=False, blank=True, db_index=True)

    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="patient_unique_mrn"),
            models.CheckConstraint(
                condition=models.Q(phototype__isnull=True)
                | models.Q(phototype__gte=1, phototype__lte=6),
                name="patient_phototype_range",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "family_name", "given_name"], name="patient_name"),
            models.Index(fields=["clinic", "date_of_birth"], name="patient_dob"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.search_name = fold(f"{self.given_name} {self.family_name}")
        self.phone_digits = digits(self.phone)
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def concern_labels(self) -> list[str]:
        labels = dict(Concern.choices)
        return [str(labels.get(c, c)) for c in self.concerns]

