"""Is a device licensed for medical microneedling on a day, and if not, why?

Medical microneedling is surgically invasive: Health Canada (SOR/98-282, Schedule 1
rule 1(1)) and the FDA (21 CFR 878.4430) make it Class II or higher. A device is licensed
when its licence is active on the day (first licence date and end date decide, whatever
status code the registry uses) and its class is II or higher. Consumer devices never are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .models import Device, IntendedUse

MIN_CLASS = 2


@dataclass(frozen=True)
class LicenceState:
    code: str  # licensed | expired | not_licensed | consumer
    reasons: list[str] = field(default_factory=list)

    @property
    def licensed(self) -> bool:
        return self.code == "licensed"

    @property
    def label(self) -> str:
        return str(LABELS[self.code])

    @property
    def css(self) -> str:
        return {"licensed": "ok", "expired": "warn"}.get(self.code, "bad")


LABELS = {
    "licensed": _("Licensed"),
    "expired": _("Licence expired"),
    "not_licensed": _("Not licensed"),
    "consumer": _("Consumer device"),
}


def licence_state(device: Device, on: dt.date) -> LicenceState:
    if device.intended_use == IntendedUse.CONSUMER:
        return LicenceState("consumer", [str(_(
            "Consumer (home-use) devices are never licensed for medical microneedling."))])
    lic = device.licence
    if lic is None:
        return LicenceState("not_licensed", [str(_("No licence is recorded for this device."))])
    reasons = []
    code = "licensed"
    if lic.device_class < MIN_CLASS:
        code = "not_licensed"
        reasons.append(str(_("Class %(cls)s licence: medical microneedling needs Class II "
                             "or higher.") % {"cls": lic.device_class}))
    if lic.first_date is not None and lic.first_date > on:
        code = "not_licensed"
        reasons.append(str(_("The licence starts on %(date)s.") % {"date": lic.first_date}))
    elif not lic.active_on(on):
        code = "expired" if code == "licensed" else code
        reasons.append(str(_("The licence ended on %(date)s.") % {"date": lic.end_date}))
    return LicenceState(code, reasons)
