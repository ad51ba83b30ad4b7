"""Labels, not codes: the words a person reads for the codes stored in records (message
kinds and statuses, verdicts, findings' severities, indications, zones)."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from puncta import rules

register = template.Library()

MESSAGE_KINDS = {
    "reminder_48h": _("Reminder, 2 days before"),
    "reminder_24h": _("Reminder, 1 day before"),
    "checkin": _("Check-in after the session"),
    "recall": _("Maintenance recall"),
    "rescheduled": _("New date"),
}
MESSAGE_STATUSES = {
    "queued": _("queued"), "sent": _("sent"), "skipped": _("skipped"),
    "cancelled": _("cancelled"),
}
MESSAGE_REASONS = {
    "opted out": _("opted out"), "no email address": _("no email address"),
    "appointment changed": _("appointment changed"),
    "appointment cancelled": _("appointment cancelled"),
}
VERDICTS = {"allow": _("allowed"), "review": _("needs a physician's review"),
            "refuse": _("refused"), "note": _("note")}


@register.filter
def message_kind(code: str) -> str:
    return str(MESSAGE_KINDS.get(code, code))


@register.filter
def message_status(code: str) -> str:
    return str(MESSAGE_STATUSES.get(code, code))


@register.filter
def message_reason(text: str) -> str:
    return str(MESSAGE_REASONS.get(text, text))


@register.filter
def verdict(code: str) -> str:
    return str(VERDICTS.get(code, code))


def _rules_label(kind: str, code: str) -> str:
    fr = (get_language() or "en").startswith("fr")
    for row in rules.codes().get(kind, []):
        if row.get("code") == code:
            return str(row["fr"] if fr else row["en"])
    return code


@register.filter
def indication(code: str) -> str:
    """An indication's name (``acne_scars`` → "Acne scars" / "Cicatrices d'acné")."""
    return _rules_label("indications", code)


@register.filter
def zone(code: str) -> str:
    return _rules_label("zones", code)


@register.filter
def severity(code: str) -> str:
    """A plan's severity (light, mild, moderate, severe)."""
    from puncta.plans.models import Severity

    try:
        return str(Severity(code).label)
    except ValueError:
        return code


@register.filter
def role(code: str) -> str:
    from puncta.accounts.roles import Role

    try:
        return str(Role(code).label)
    except ValueError:
        return code


@register.filter
def ae_status(code: str) -> str:
    from puncta.charting.models import AEStatus

    try:
        return str(AEStatus(code).label)
    except ValueError:
        return code


@register.filter
def appointment_status(code: str) -> str:
    from puncta.scheduling.models import Status

    try:
        return str(Status(code).label)
    except ValueError:
        return code


@register.filter
def zone_side(value: str) -> str:
    """A zone with its side (``cheek_left`` → "Cheek, left")."""
    for code, side_en, side_fr in (("_left", "left", "gauche"), ("_right", "right", "droite")):
        if value.endswith(code):
            fr = (get_language() or "en").startswith("fr")
            return f"{zone(value[: -len(code)])}, {side_fr if fr else side_en}"
    return zone(value)
