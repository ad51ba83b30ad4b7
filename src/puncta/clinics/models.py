"""Clinics, their locations and rooms: the tenant boundary of every record."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .jurisdictions import JURISDICTIONS


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Clinic(models.Model):
    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=200)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=8, choices=JURISDICTIONS)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="America/Toronto", validators=[validate_time_zone]
    )
    # Sources differ (3, 6 or 12 months); the rules default is 6 and a clinic may tighten.
    isotretinoin_washout_months = models.PositiveSmallIntegerField(
        _("isotretinoin washout (months)"), default=6,
        validators=[MinValueValidator(6), MaxValueValidator(24)],
    )
    screening_valid_days = models.PositiveSmallIntegerField(
        _("screening valid for (days)"), default=90
    )
    # Whether a supervising physician must be on site, or may be reachable (by phone).
    supervision_on_site = models.BooleanField(_("supervising physician must be on site"),
                                              default=True)
    # Printed on the aftercare sheet: whom the patient calls, and what to do in an emergency.
    phone = models.CharField(_("clinic phone"), max_length=40, blank=True)
    emergency_instructions = models.TextField(_("emergency instructions"), max_length=1000,
                                              blank=True)
    next_mrn = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("clinic")
        verbose_name_plural = _("clinics")

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="America/Toronto", validators=[validate_time_zone]
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="location_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["location", "name"], name="room_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.location.name} — {self.name}"
