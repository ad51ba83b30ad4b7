"""Devices, their regulatory licences, the imported Health Canada registry, and
single-use cartridge lots with the draws that trace each unit to a patient."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from puncta.clinics.models import Clinic


class Authority(models.TextChoices):
    HC = "HC", _("Health Canada medical device licence")
    FDA = "FDA", _("FDA clearance (510(k) / De Novo)")


def normalise_licence_number(authority: str, text: str | int) -> str:
    """One spelling per licence: HC numbers are integers ('  012 345' is '12345');
    FDA numbers lose spaces and dashes and are upper case ('k20 2243' is 'K202243')."""
    cleaned = re.sub(r"[\s\-]", "", str(text)).upper()
    if authority == Authority.HC:
        if not cleaned.isdigit():
            raise ValueError(f"{text!r} is not a Health Canada licence number (digits only)")
        return str(int(cleaned))
    if not re.fullmatch(r"[A-Z]{1,3}\d{4,8}", cleaned):
        raise ValueError(f"{text!r} is not an FDA 510(k) or De Novo number (e.g. K202243)")
    return cleaned


def active_between(first: dt.date | None, end: dt.date | None, on: dt.date) -> bool:
    """Registry activity is decided by dates only: begun on or before ``on`` and not
    ended before it (a licence whose end date is yesterday is not active today)."""
    if first is not None and first > on:
        return False
    return end is None or end >= on


def inactive_q(first: str, end: str, on: str) -> models.Q:
    """``not active_between(first, end, on)`` as a query on those fields (for lists that
    must not load every row to decide)."""
    return models.Q(**{f"{first}__gt": models.F(on)}) | models.Q(**{f"{end}__lt": models.F(on)})


# --- The imported registry (Health Canada MDALL), shared by every clinic -----------------


class RegistryCompany(models.Model):
    company_id = models.BigIntegerField(unique=True)
    company_name = models.CharField(_("company"), max_length=300)
    address = models.JSONField(default=dict, blank=True)  # the MDALL address fields as given
    company_status = models.CharField(max_length=8, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.company_name


class RegistryLicence(models.Model):
    original_licence_no = models.BigIntegerField(_("licence number"), unique=True)
    licence_status = models.CharField(_("registry status"), max_length=8, blank=True)
    appl_risk_class = models.PositiveSmallIntegerField(_("risk class"))
    licence_name = models.CharField(_("licence name"), max_length=400)
    first_licence_status_dt = models.DateField(_("first licence date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    licence_type_cd = models.CharField(max_length=8, blank=True)
    company_id = models.BigIntegerField(null=True, blank=True)  # plain id: files come in any order
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["original_licence_no"]

    def __str__(self) -> str:
        return f"{self.original_licence_no} {self.licence_name}"

    def active_on(self, on: dt.date) -> bool:
        return active_between(self.first_licence_status_dt, self.end_date, on)


class RegistryDevice(models.Model):
    device_id = models.BigIntegerField(unique=True)
    original_licence_no = models.BigIntegerField(db_index=True)
    trade_name = models.CharField(_("trade name"), max_length=400)
    first_licence_dt = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["trade_name", "device_id"]

    def __str__(self) -> str:
        return self.trade_name


# --- A clinic's devices -------------------------------------------------------------------


class Licence(models.Model):
    """The regulatory record a clinic's devices point at. HC licences are copied from the
    imported registry and kept in step with it on every import; FDA clearances are typed in."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="licences")
    authority = models.CharField(_("authority"), max_length=3, choices=Authority.choices)
    number = models.CharField(_("licence or clearance number"), max_length=20)
    name = models.CharField(_("licence name"), max_length=400, blank=True)
    device_class = models.PositiveSmallIntegerField(
        _("risk class"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    status = models.CharField(_("registry status"), max_length=16, blank=True)
    first_date = models.DateField(_("first licence date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    company = models.CharField(_("company"), max_length=300, blank=True)
    product_code = models.CharField(_("FDA product code"), max_length=3, blank=True)
    regulation_number = models.CharField(_("FDA regulation number"), max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["authority", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "authority", "number"], name="licence_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(device_class__gte=1, device_class__lte=4),
                name="licence_class_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.number}"

    def active_on(self, on: dt.date) -> bool:
        return active_between(self.first_date, self.end_date, on)


class DeviceKind(models.TextChoices):
    PEN = "pen", _("Microneedling pen")
    ROLLER = "roller", _("Roller")
    STAMP = "stamp", _("Stamp")
    # A separate modality: radiofrequency energy is delivered through the needles.
    RF = "rf", _("RF microneedling")


class IntendedUse(models.TextChoices):
    PROFESSIONAL = "professional", _("Professional")
    CONSUMER = "consumer", _("Consumer (home use)")


class DeviceStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("In service")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")
    RETIRED = "retired", _("Retired")


class Device(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="devices")
    kind = models.CharField(_("type"), max_length=8, choices=DeviceKind.choices)
    manufacturer = models.CharField(_("manufacturer"), max_length=200)
    model_name = models.CharField(_("model or trade name"), max_length=200)
    serial_number = models.CharField(_("serial number"), max_length=100)
    intended_use = models.CharField(
        _("intended use"), max_length=12, choices=IntendedUse.choices,
        default=IntendedUse.PROFESSIONAL,
    )
    max_depth_mm = models.DecimalField(
        _("maximum depth (mm)"), max_digits=4, decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(5)],
    )
    needle_counts = models.JSONField(_("needle count options"), default=list, blank=True)
    speed_min = models.PositiveIntegerField(_("lowest speed (rpm)"), null=True, blank=True)
    speed_max = models.PositiveIntegerField(_("highest speed (rpm)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=DeviceStatus.choices,
        default=DeviceStatus.IN_SERVICE,
    )
    licence = models.ForeignKey(
        Licence, on_delete=models.PROTECT, null=True, blank=True, related_name="devices",
        verbose_name=_("licence"),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["manufacturer", "model_name", "serial_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "serial_number"], name="device_unique_serial",
                violation_error_message=_("This clinic already has a device with this "
                                          "serial number."),
            ),
            models.CheckConstraint(
                condition=models.Q(speed_min__isnull=True) | models.Q(speed_max__isnull=True)
                | models.Q(speed_min__lte=models.F("speed_max")),
                name="device_speed_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.model_name} ({self.serial_number})"

    def clean(self) -> None:
        if self.speed_min and self.speed_max and self.speed_min > self.speed_max:
            raise ValidationError(
                {"speed_max": _("The highest speed must not be below the lowest speed.")}
            )
        if self.licence_id and self.licence.clinic_id != self.clinic_id:
            raise ValidationError({"licence": _("That licence belongs to another clinic.")})


class LogKind(models.TextChoices):
    MAINTENANCE = "maintenance", _("Maintenance")
    CLEANING = "cleaning", _("Cleaning")


class DeviceLogEntry(models.Model):
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="log_entries")
    kind = models.CharField(_("kind"), max_length=12, choices=LogKind.choices)
    on = models.DateField(_("date"))
    note = models.TextField(_("note"), max_length=2000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                           blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.on}"


# --- Cartridges -----------------------------------------------------------------------------


def fold_model(name: str) -> str:
    """Compare model names without case or spacing ('SkinPen  Precision' = 'skinpen precision')."""
    return " ".join(name.split()).casefold()


class CartridgeProduct(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="cartridges")
    manufacturer = models.CharField(_("manufacturer"), max_length=200)
    name = models.CharField(_("product name"), max_length=200)
    needle_count = models.PositiveSmallIntegerField(
        _("needle count"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    configuration = models.CharField(_("configuration"), max_length=100, blank=True)
    compatible_models = models.JSONField(_("compatible device models"), default=list)
    single_use = models.BooleanField(_("single use"), default=True)
    sterile = models.BooleanField(_("sterile"), default=True)

    class Meta:
        ordering = ["manufacturer", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "manufacturer", "name"], name="cartridge_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.name}"

    def fits(self, device: Device) -> bool:
        return fold_model(device.model_name) in {fold_model(m) for m in self.compatible_models}


class CartridgeLot(models.Model):
    # The clinic is repeated from the product so every lot query is scoped in one filter.
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="cartridge_lots")
    product = models.ForeignKey(CartridgeProduct, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(_("lot number"), max_length=64)
    expiry = models.DateField(_("expiry date"))
    quantity_received = models.PositiveIntegerField(
        _("quantity received"), validators=[MinValueValidator(1)]
    )
    quantity_left = models.PositiveIntegerField(_("quantity left"))
    received_on = models.DateField(_("received on"))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    # A recalled or suspect lot is quarantined: no cartridge is drawn from it until released.
    quarantined_at = models.DateTimeField(_("quarantined at"), null=True, blank=True)
    quarantined_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                       null=True, blank=True, related_name="+")
    quarantine_reason = models.TextField(_("quarantine reason"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["expiry", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["product", "lot_number"], name="lot_unique_number"),
            # The last line of defence for the stock count: never negative, never above
            # what was received, whatever a concurrent writer does.
            models.CheckConstraint(
                condition=models.Q(quantity_left__gte=0)
                & models.Q(quantity_left__lte=models.F("quantity_received")),
                name="lot_quantity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} lot {self.lot_number}"

    def expired_on(self, on: dt.date) -> bool:
        # A lot is usable through its expiry date and refused from the day after.
        return on > self.expiry

    @property
    def quarantined(self) -> bool:
        return self.quarantined_at is not None


class LotDraw(models.Model):
    """One cartridge taken from a lot for a session: the link a recall letter follows."""

    lot = models.ForeignKey(CartridgeLot, on_delete=models.PROTECT, related_name="draws")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="draws")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="cartridge_draws")
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    on = models.DateField(_("date of use"))
    drawn_at = models.DateTimeField(auto_now_add=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+")
    drawn_by_label = models.CharField(_("by"), max_length=200)

    class Meta:
        ordering = ["on", "id"]
        indexes = [models.Index(fields=["lot", "on"], name="draw_lot_on")]

    def __str__(self) -> str:
        return f"draw {self.pk} from lot {self.lot_id}"
