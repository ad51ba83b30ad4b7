"""The aftercare sheet as a person reads it (page, PDF or API), in the patient's language,
from the sheet stored with the signed chart."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from .models import Chart


def aftercare_context(chart: Chart, lang: str) -> dict[str, Any]:
    sheet = chart.aftercare or {}
    fr = lang == "fr"
    with translation.override(lang):
        down = sheet.get("downtime", {})
        items = []
        for item in sheet.get("items", []):
            hours = item.get("duration_hours")
            when = ""
            if hours:
                when = (_("%(n)s days") % {"n": hours // 24} if hours >= 48 and hours % 24 == 0
                        else _("%(n)s hours") % {"n": hours})
                if item.get("starts_after_hours"):
                    when = _("from %(start)s hours, for %(span)s") % {
                        "start": item["starts_after_hours"], "span": when}
            items.append({"text": item["fr"] if fr else item["en"], "when": when})
        clinic = chart.patient.clinic
        return {
            "lang": lang,
            "title": _("Aftercare after your microneedling session"),
            "subtitle": _("%(name)s — session of %(on)s, %(clinic)s (deepest depth %(depth)s "
                          "mm)") % {"name": chart.patient.full_name, "on": chart.on.isoformat(),
                                    "clinic": clinic.name,
                                    "depth": sheet.get("max_depth_mm", "—")},
            "downtime_heading": _("What to expect"),
            "downtime": _("Redness and dryness for %(min)s to %(max)s days; most people go "
                          "back to their usual activities after that.") % {
                "min": down.get("min", "—"), "max": down.get("max", "—")},
            "items_heading": _("What to avoid, and for how long"),
            "items": items,
            "call_heading": _("When to call the clinic"),
            "call": _("Call %(clinic)s right away if you notice increasing pain, swelling or "
                      "redness after 3 days, pus, fever, blisters, a cold sore, or any reaction "
                      "that worries you.") % {"clinic": clinic.name},
            "contact_heading": _("How to reach us"),
            "contact": _("%(clinic)s, %(where)s — telephone %(phone)s") % {
                "clinic": clinic.name,
                "where": (chart.appointment.location.address or chart.appointment.location.name)
                if chart.appointment_id else clinic.name,
                "phone": clinic.phone or "—"},
            "emergency_heading": _("In an emergency"),
            "emergency": clinic.emergency_instructions or _(
                "Call 911 or go to the nearest emergency department if you have trouble "
                "breathing, swelling of the face, lips or throat, chest pain, or you feel "
                "faint."),
            "footer": _("Built from the Puncta rules %(v)s by the depth actually used.")
            % {"v": sheet.get("rules_version", "")},
        }
