"""How the devices app shows a device's licence: the rules engine's verdict, presented.

Whether a device is licensed for medical microneedling (authority of the clinic's
jurisdiction, Class II or higher, active on the day, never a consumer device) is decided
by ``puncta.rules`` (``rules.licence_state``) — the same test a dermal session applies —
so the device list can never say "Licensed" for a device the rules refuse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from puncta import facts, rules

from .models import Device

LABELS = {
    "licensed": _("Licensed"),
    "expired": _("Licence expired"),
    "not_licensed": _("Not licensed"),
    "consumer": _("Consumer device"),
}


@dataclass(frozen=True)
class LicenceState:
    verdict: rules.LicenceState

    @property
    def code(self) -> str:
        return self.verdict.code

    @property
    def licensed(self) -> bool:
        return self.verdict.licensed

    @property
    def reasons(self) -> list[str]:
        """In the reader's language (French when the active language is French)."""
        lang = (translation.get_language() or "en")[:2]
        return list(self.verdict.reasons_fr if lang == "fr" else self.verdict.reasons)

    @property
    def label(self) -> str:
        return str(LABELS[self.code])

    @property
    def css(self) -> str:
        return {"licensed": "ok", "expired": "warn"}.get(self.code, "bad")


def licence_state(device: Device, on: dt.date, jurisdiction: str | None = None
                  ) -> LicenceState:
    """The rules' verdict on the device in its clinic's jurisdiction (pass it when known,
    to save reading the clinic)."""
    return LicenceState(facts.licence_state(device, jurisdiction or device.clinic.jurisdiction,
                                            on))


def registry_min_class() -> int:
    """The class a Health Canada registry licence needs (the rules' Canadian pack)."""
    return rules.min_device_class("CA")
