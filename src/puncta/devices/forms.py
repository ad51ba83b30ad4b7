"""Forms for devices, licences, log entries, lots and draws. Errors sit next to fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from puncta.clinics import clock

from .models import (
    Authority,
    CartridgeProduct,
    Device,
    DeviceLogEntry,
    normalise_licence_number,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _numbers(text: str, label: str) -> list[int]:
    try:
        values = sorted({int(part) for part in text.replace(";", ",").split(",") if part.strip()})
    except ValueError:
        raise forms.ValidationError(
            _("Enter %(what)s as whole numbers separated by commas, e.g. 12, 36.")
            % {"what": label}) from None
    if any(not 1 <= v <= 100 for v in values):
        raise forms.ValidationError(_("Needle counts are between 1 and 100."))
    return values


class DeviceForm(forms.ModelForm):
    needle_counts_text = forms.CharField(
        label=_("Needle count options"), required=False,
        help_text=_("Comma-separated, e.g. 12, 16, 36"),
    )
    licence_authority = forms.ChoiceField(
        label=_("Licence"), required=False,
        choices=[("", _("No licence")), *Authority.choices],
    )
    licence_number = forms.CharField(
        label=_("Licence or clearance number"), required=False, max_length=30,
        help_text=_("Health Canada: the licence number from the imported registry. "
                    "FDA: the 510(k) or De Novo number, e.g. K202243."),
    )
    fda_product_code = forms.CharField(label=_("FDA product code"), required=False,
                                       max_length=3, initial="QAI")
    fda_regulation_number = forms.CharField(label=_("FDA regulation number"), required=False,
                                            max_length=20, initial="878.4430")
    fda_class = forms.TypedChoiceField(label=_("FDA device class"), required=False, coerce=int,
                                       choices=[(2, "II"), (1, "I"), (3, "III")], initial=2)
    fda_decision_date = forms.DateField(label=_("FDA decision date"), required=False,
                                        widget=DATE)

    class Meta:
        model = Device
        fields = ["kind", "manufacturer", "model_name", "serial_number", "intended_use",
                  "max_depth_mm", "speed_min", "speed_max", "status"]
        error_messages = {
            "serial_number": {"required": _("Enter the serial number on the device label.")},
            "max_depth_mm": {"required": _("Enter the deepest setting, in millimetres.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        device = self.instance
        if device.pk:
            self.fields["needle_counts_text"].initial = ", ".join(map(str, device.needle_counts))
            if device.licence_id:
                lic = device.licence
                self.fields["licence_authority"].initial = lic.authority
                self.fields["licence_number"].initial = lic.number
                self.fields["fda_product_code"].initial = lic.product_code
                self.fields["fda_regulation_number"].initial = lic.regulation_number
                self.fields["fda_class"].initial = lic.device_class
                self.fields["fda_decision_date"].initial = lic.first_date

    def validate_unique(self) -> None:
        # The service checks the serial number per clinic and names the field; the form
        # does not know the clinic of a new device.
        return

    def clean_needle_counts_text(self) -> list[int]:
        return _numbers(self.cleaned_data["needle_counts_text"], _("needle counts"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        authority = data.get("licence_authority")
        number = data.get("licence_number", "").strip()
        if authority and not number:
            self.add_error("licence_number", _("Enter the licence or clearance number."))
        elif authority and number:
            try:
                data["licence_number"] = normalise_licence_number(authority, number)
            except ValueError:
                self.add_error("licence_number", _(
                    "Health Canada licence numbers are digits; FDA numbers look like "
                    "K202243 or DEN160029."))
        elif number and not authority:
            self.add_error("licence_authority", _("Choose who issued the licence."))
        lo, hi = data.get("speed_min"), data.get("speed_max")
        if lo and hi and lo > hi:
            self.add_error("speed_max", _("The highest speed must not be below the lowest "
                                          "speed."))
        return data

    def device_fields(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in self.Meta.fields}
        data["needle_counts"] = self.cleaned_data["needle_counts_text"]
        return data

    def fda_fields(self) -> dict[str, Any]:
        return {
            "product_code": self.cleaned_data["fda_product_code"].strip().upper(),
            "regulation_number": self.cleaned_data["fda_regulation_number"].strip(),
            "device_class": self.cleaned_data["fda_class"] or 2,
            "first_date": self.cleaned_data["fda_decision_date"],
        }


class LogEntryForm(forms.ModelForm):
    class Meta:
        model = DeviceLogEntry
        fields = ["kind", "on", "note"]
        widgets = {"on": DATE, "note": forms.Textarea(attrs={"rows": 2})}

    def clean_on(self) -> dt.date:
        on: dt.date = self.cleaned_data["on"]
        if on > clock.active_today():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return on


class ProductForm(forms.ModelForm):
    compatible_text = forms.CharField(
        label=_("Compatible device models"),
        help_text=_("The model names of the devices these cartridges fit, one per line."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = CartridgeProduct
        fields = ["manufacturer", "name", "needle_count", "configuration", "single_use",
                  "sterile"]

    def clean_compatible_text(self) -> list[str]:
        models = [line.strip() for line in self.cleaned_data["compatible_text"].splitlines()
                  if line.strip()]
        if not models:
            raise forms.ValidationError(_("Name at least one compatible device model."))
        return models


class LotReceiveForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Cartridge"), queryset=CartridgeProduct.objects.none())
    lot_number = forms.CharField(label=_("Lot number"), max_length=64)
    expiry = forms.DateField(label=_("Expiry date"), widget=DATE)
    quantity = forms.IntegerField(label=_("Quantity received"), min_value=1, max_value=100000)

    def __init__(self, *args: Any, products: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products

    def clean_expiry(self) -> dt.date:
        expiry: dt.date = self.cleaned_data["expiry"]
        if expiry < clock.active_today():
            raise forms.ValidationError(_("This lot has already expired: do not receive it."))
        return expiry


class DrawForm(forms.Form):
    device = forms.ModelChoiceField(label=_("Device"), queryset=Device.objects.none())
    patient_mrn = forms.CharField(label=_("Patient record number"), required=False,
                                  max_length=32)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100,
                                help_text=_("For example the chart or session number."))

    def __init__(self, *args: Any, devices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = devices


class RegistrySearchForm(forms.Form):
    q = forms.CharField(label=_("Licence number, licence name or trade name"), required=False,
                        max_length=100)
