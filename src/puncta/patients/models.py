"""The patient record."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
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


def normalize_mrn(mrn: str) -> str:
    """MRNs compare without case or surrounding spaces: 'p000042' is 'P000042'."""
    return (mrn or "").strip().upper()


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def search_name_of(given_name: str, family_name: str) -> str:
    """The patient's name as searched: accents and case folded. Folding can expand a
    character into several ('ﷺ' is 18): the key is cut to its column."""
    return fold(f"{given_name} {family_name}")[:210]


def name_keys(search_name: str) -> list[str]:
    """The name from each of its words on ("marie claire roy", "claire roy", "roy"): a
    search for names with a word starting with X is a prefix match on these keys, which an
    ordered index answers in time that does not grow with the clinic."""
    words = search_name.split()
    return list(dict.fromkeys(" ".join(words[i:]) for i in range(len(words))))


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
    contact_opt_out = models.BooleanField(
        _("no reminders or recalls"), default=False,
        help_text=_("The patient asked not to receive reminders, check-ins or recalls."))

    # The search_name as loaded (from_db), not a column.
    _stored_search_name: str | None = None
    # Derived search keys, maintained in save(): accent-free names and bare digits.
    search_name = models.CharField(max_length=210, editable=False, db_index=True)
    phone_digits = models.CharField(max_length=32, editable=False, blank=True, db_index=True)

    version = models.PositiveIntegerField(default=1, editable=False)
    # A duplicate record merged into another: kept (its audit trail names it), never listed.
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="merged_records", editable=False)
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
            models.Index(fields=["clinic", "created_at"], name="patient_created"),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        self.mrn = normalize_mrn(self.mrn)
        self.search_name = search_name_of(self.given_name, self.family_name)
        self.phone_digits = digits(self.phone)
        adding = self._state.adding
        fresh = adding and self.pk is None  # surely a new row: no keys to replace
        super().save(*args, **kwargs)
        if adding or self.search_name != self._stored_search_name:
            PatientNameKey.write(self, fresh=fresh)
            self._stored_search_name = self.search_name

    @classmethod
    def from_db(cls, *args: Any, **kwargs: Any) -> Patient:
        obj = super().from_db(*args, **kwargs)
        # The name as stored: save() rewrites the name keys only when it changes.
        obj._stored_search_name = obj.__dict__.get("search_name")
        return obj

    def clean(self) -> None:
        """The patient's validation rules, defined once: the web form, the API and the
        seed all reach them through ``full_clean()``."""
        from puncta.clinics import clock

        self.mrn = normalize_mrn(self.mrn)
        self.phone = (self.phone or "").strip()
        errors: dict[str, Any] = {}
        if isinstance(self.date_of_birth, dt.date) and self.clinic_id:
            today = clock.today(self.clinic)
            if self.date_of_birth > today:
                errors["date_of_birth"] = _("The date of birth cannot be in the future.")
            elif self.date_of_birth < _years_before(today, 120):
                errors["date_of_birth"] = _("The date of birth is more than 120 years ago.")
        count = len(digits(self.phone))
        if self.phone and not 7 <= count <= 15:
            errors["phone"] = _("Enter a phone number of 7 to 15 digits, e.g. 416-555-0199.")
        if errors:
            raise ValidationError(errors)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def concern_labels(self) -> list[str]:
        labels = dict(Concern.choices)
        return [str(labels.get(c, c)) for c in self.concerns]


class PatientNameKey(models.Model):
    """One key per word of a patient's folded name, from that word on (``name_keys``),
    kept by ``Patient.save``: FHIR's ``name`` search (any part of the name starts with the
    value) is a range scan of (clinic, key) instead of a scan of the clinic's patients."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="name_keys")
    # Indexed first in (clinic, key, patient) below: no index of its own.
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    key = models.CharField(max_length=210)

    class Meta:
        indexes = [
            # varchar_pattern_ops: PostgreSQL serves LIKE 'x%' from the index whatever the
            # database's collation (other databases ignore the operator class).
            models.Index(fields=["clinic", "key", "patient"], name="patient_name_key",
                         opclasses=["int8_ops", "varchar_pattern_ops", "int8_ops"]),
        ]

    def __str__(self) -> str:
        return self.key

    @classmethod
    def write(cls, patient: Patient, *, fresh: bool = False) -> None:
        if not fresh:
            PatientNameKey.objects.filter(patient=patient).delete()
        PatientNameKey.objects.bulk_create([
            PatientNameKey(patient=patient, clinic_id=patient.clinic_id, key=k)
            for k in name_keys(patient.search_name)])


class Questionnaire(models.Model):
    """A version of the intake questionnaire; responses point at the version answered."""

    version = models.CharField(max_length=20, unique=True)
    definition = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"intake {self.version}"


class IntakeStatus(models.TextChoices):
    DRAFT = "draft", _("In progress")
    SUBMITTED = "submitted", _("Submitted")


class IntakeResponse(models.Model):
    """A patient's answers, stored as structured data keyed by question id."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="intakes")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT)
    answers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=IntakeStatus.choices,
                              default=IntakeStatus.DRAFT)
    # Incremented on every save: an edit based on an older version is refused.
    version = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by_patient = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"], name="intake_patient")]

    def __str__(self) -> str:
        return f"intake {self.pk} of {self.patient_id} ({self.status})"


class IntakeLink(models.Model):
    """A single-use, expiring link a patient uses to fill the intake without an account.

    Only the SHA-256 of the token is kept; the link is shown once to the staff member.
    """

    response = models.ForeignKey(IntakeResponse, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"intake link {self.pk}"


class ScreeningResult(models.TextChoices):
    CLEAR = "clear", _("Clear to treat")
    REVIEW = "review", _("Needs physician review")
    NOT_CANDIDATE = "not_candidate", _("Not a candidate")


class ReviewDecision(models.TextChoices):
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class Screening(models.Model):
    """The rules engine's verdict on an intake, and the physician's decision if needed."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    intake = models.ForeignKey(IntakeResponse, on_delete=models.PROTECT, related_name="screenings")
    intake_version = models.PositiveIntegerField()
    result = models.CharField(max_length=16, choices=ScreeningResult.choices)
    findings = models.JSONField(default=list)
    rules_version = models.CharField(max_length=32)
    screened_on = models.DateField()
    screened_at = models.DateTimeField(auto_now_add=True)
    valid_until = models.DateField()
    superseded_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices, blank=True)
    decision_conditions = models.TextField(blank=True, max_length=2000)
    decision_note = models.TextField(blank=True, max_length=4000)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_sha256 = models.CharField(max_length=64, blank=True)
    # Structured conditions of an approval, applied by the rules wherever they are asked.
    restrict_earliest_start = models.DateField(_("treat from"), null=True, blank=True)
    restrict_max_depth_mm = models.DecimalField(_("maximum depth (mm)"), max_digits=3,
                                                decimal_places=2, null=True, blank=True)
    restrict_avoid_zones = models.JSONField(_("areas to avoid"), default=list, blank=True)

    class Meta:
        ordering = ["-screened_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-screened_at"], name="screening_patient"),
            models.Index(fields=["result", "decision", "superseded_at"], name="screening_queue"),
        ]

    def __str__(self) -> str:
        return f"screening {self.pk} of {self.patient_id}: {self.result}"

    @property
    def restrictions_data(self) -> dict[str, Any]:
        return {
            "earliest_start": (self.restrict_earliest_start.isoformat()
                               if self.restrict_earliest_start else None),
            "max_depth_mm": (str(self.restrict_max_depth_mm)
                             if self.restrict_max_depth_mm is not None else None),
            "avoid_zones": list(self.restrict_avoid_zones or []),
        }

    @property
    def has_restrictions(self) -> bool:
        return bool(self.restrict_earliest_start or self.restrict_max_depth_mm is not None
                    or self.restrict_avoid_zones)

    @property
    def awaiting_review(self) -> bool:
        return self.result == ScreeningResult.REVIEW and not self.decision

    def allows_treatment(self, on: dt.date) -> bool:
        """Current, in date, and either clear or approved by a physician."""
        if self.superseded_at is not None or on > self.valid_until:
            return False
        if self.result == ScreeningResult.CLEAR:
            return True
        return self.result == ScreeningResult.REVIEW and self.decision == ReviewDecision.APPROVED
