"""The plan form: course settings plus one row per zone (empty depth = not treated)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from puncta import rules

from .models import DeviceType, Severity

MAX_DEPTH = Decimal(str(rules.MAX_DEPTH_MM))  # the rules engine's input bound


def indication_choices() -> list[tuple[str, str]]:
    fr = (get_language() or "en").startswith("fr")
    return [(i["code"], i["fr"] if fr else i["en"]) for i in rules.codes()["indications"]]


def zone_rows() -> list[dict[str, Any]]:
    fr = (get_language() or "en").startswith("fr")
    return [{"code": z["code"], "label": z["fr"] if fr else z["en"], "region": z["region"],
             "ceiling": z["ceiling_mm"]} for z in rules.codes()["zones"]]


def parse_depth(raw: str) -> tuple[Decimal | None, str]:
    """Millimetres with a point. '1,5' and '15' are refused with a reason, never guessed."""
    raw = raw.strip()
    if not raw:
        return None, ""
    if "," in raw:
        return None, _("Use a point for decimals, e.g. 1.5 (millimetres).")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None, _("Enter the depth in millimetres, e.g. 0.5.")
    if not value.is_finite() or value <= 0:
        return None, _("Enter a depth above 0 mm.")
    if value > MAX_DEPTH:
        return None, _("%(v)s mm is not a microneedling depth: depths are in millimetres, "
                       "up to %(max)s.") % {"v": raw, "max": f"{MAX_DEPTH:g}"}
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        return None, _("Use at most two decimals, e.g. 0.25.")
    return value, ""


class PlanForm(forms.Form):
    indication = forms.ChoiceField(label=_lazy("Indication"))
    severity = forms.ChoiceField(label=_lazy("Severity"), choices=Severity.choices)
    start = forms.DateField(label=_lazy("First session from"),
                            # type=date inputs take ISO dates whatever the page's language
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    device_type = forms.ChoiceField(label=_lazy("Device type"), choices=DeviceType.choices)
    numbing_minutes = forms.IntegerField(label=_lazy("Numbing dwell (minutes)"), initial=30,
                                         min_value=15, max_value=60)
    goals = forms.CharField(label=_lazy("Goals"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indication"].choices = indication_choices()
        self.zone_errors: dict[str, str] = {}
        self.zones: list[tuple[str, Decimal, int]] = []

    def clean_start(self) -> dt.date:
        start: dt.date = self.cleaned_data["start"]
        if start.year < 2000 or start.year > 2100:
            raise forms.ValidationError(_("Enter a date between 2000 and 2100."))
        return start

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for row in zone_rows():
            code = row["code"]
            depth, error = parse_depth(delocalize(self.data.get(f"depth-{code}", "")))
            side = self.data.get(f"side-{code}", "")
            if error:
                self.zone_errors[code] = error
                continue
            if depth is None:
                continue
            try:
                passes = int(self.data.get(f"passes-{code}", "3") or 3)
            except ValueError:
                passes = -1
            if not 1 <= passes <= 20:
                self.zone_errors[code] = _("Passes are a whole number from 1 to 20.")
                continue
            sides = {"left": ["_left"], "right": ["_right"]}.get(side, [""])
            for suffix in sides:
                self.zones.append((code + suffix, depth, passes))
        if self.zone_errors:
            raise forms.ValidationError(_("Some zones need attention; they are marked."))
        if not self.zones and not self.errors:
            raise forms.ValidationError(_("Choose at least one zone and its depth."))
        return data


_FR_DECIMAL = re.compile(r"^\s*\d+,\d+\s*$")


def delocalize(raw: Any) -> str:
    """A number typed on a French page: ``0,50`` is the decimal comma, read as ``0.50``.

    Only web forms call this, in the page's language: an English page (and the API, which
    speaks JSON) still refuse a comma rather than guess it.
    """
    text = "" if raw is None else str(raw)
    if (get_language() or "en").startswith("fr") and _FR_DECIMAL.match(text):
        return text.replace(",", ".").strip()
    return text
