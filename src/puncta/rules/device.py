"""Device rules: licence for dermal depth, consumer devices stay epidermal, device maximum,
and jurisdiction labelling notes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from .data import Jurisdiction
from .findings import fmt, make
from .jurisdictions import jurisdiction
from .model import Device, Finding, Patient, ZoneResult, ZoneTreatment
from .zones import zone_label


def _licence_problems(device: Device, jur: Jurisdiction, on: date) -> list[tuple[str, str, str]]:
    """(field, reason en, reason fr) for each way the licence falls short."""
    lic = device.licence
    if lic is None:
        return [("device.licence", "no licence recorded", "aucune licence consignée")]
    problems: list[tuple[str, str, str]] = []
    if lic.authority != jur.authority:
        problems.append(
            (
                "device.licence.authority",
                f"licence from {lic.authority}, not {jur.authority}",
                f"licence de {lic.authority}, et non de {jur.authority}",
            )
        )
    if lic.device_class < jur.min_device_class:
        problems.append(
            (
                "device.licence.class",
                f"Class {lic.device_class}",
                f"classe {lic.device_class}",
            )
        )
    if not lic.active_on(on):
        field = "device.licence.status"
        if lic.status == "active":
            field = (
                "device.licence.first_date"
                if lic.first_date is not None and lic.first_date > on
                else "device.licence.end_date"
            )
        problems.append(
            (
                field,
                f"licence not active on {on.isoformat()}",
                f"licence non active le {on.isoformat()}",
            )
        )
    return problems


def check_device(
    device: Device,
    zones: Sequence[ZoneTreatment],
    results: Sequence[ZoneResult],
    jur: Jurisdiction,
    on: date,
) -> list[Finding]:
    out: list[Finding] = []
    dermal = [i for i, r in enumerate(results) if r.reaches == "dermis"]
    if dermal:
        first = zones[dermal[0]]
        if device.intended_use == "consumer":
            out.append(
                make(
                    "device.consumer_beyond_epidermis",
                    "device.intended_use",
                    zone=zone_label(first.zone),
                    zone_fr=zone_label(first.zone, "fr"),
                    depth=fmt(first.depth_mm),
                )
            )
        for field, reason, reason_fr in _licence_problems(device, jur, on):
            out.append(
                make(
                    "device.not_licensed",
                    field,
                    authority=jur.authority,
                    min_class=jur.min_device_class,
                    reason=reason,
                    reason_fr=reason_fr,
                    source=jur.source,
                )
            )
    if device.max_depth_mm is None:
        out.append(make("device.max_depth_unknown", "device.max_depth_mm"))
    else:
        for i, zt in enumerate(zones):
            if zt.depth_mm > device.max_depth_mm:
                out.append(
                    make(
                        "device.depth_exceeded",
                        f"zones[{i}].depth_mm",
                        zone=zone_label(zt.zone),
                        zone_fr=zone_label(zt.zone, "fr"),
                        depth=fmt(zt.depth_mm),
                        max=fmt(device.max_depth_mm),
                    )
                )
    return out


def check_labelling(
    patient: Patient,
    age: int,
    zones: Sequence[ZoneTreatment],
    indication: str,
    jur: Jurisdiction,
) -> list[Finding]:
    """Labelling notes (US): De Novo age, neck-wrinkle phototypes. Notes only."""
    out: list[Finding] = []
    if jur.label_min_age is not None and age < jur.label_min_age:
        out.append(
            make("device.label_age", "patient.birth_date", age=age, source=jur.label_min_age_source)
        )
    if (
        jur.neck_phototypes
        and patient.phototype is not None
        and patient.phototype not in jur.neck_phototypes
        and indication in ("wrinkles", "fine_lines")
        and any(zt.zone.base == "neck" for zt in zones)
    ):
        out.append(
            make(
                "device.label_phototype",
                "patient.phototype",
                phototype=patient.phototype,
                source=jur.neck_phototypes_source,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class LicenceState:
    """Is a device licensed for medical microneedling in a jurisdiction on a day.

    ``code``: licensed | expired | not_licensed | consumer. The devices app shows this
    verdict; it does not decide it. Reasons come in both languages.
    """

    code: str
    reasons: tuple[str, ...] = ()
    reasons_fr: tuple[str, ...] = ()
    source: str = ""

    @property
    def licensed(self) -> bool:
        return self.code == "licensed"


def licence_state(device: Device, jurisdiction_code: str, on: date) -> LicenceState:
    """The same test the session check applies to a dermal treatment (authority, class,
    active on the day), for showing a device's standing outside a session."""
    jur = jurisdiction(jurisdiction_code)
    if device.intended_use == "consumer":
        return LicenceState(
            "consumer",
            ("Consumer (home-use) devices are never licensed for medical microneedling.",),
            ("Les appareils grand public (usage domestique) ne sont jamais homologués pour le "
             "microneedling médical.",),
            jur.source,
        )
    problems = _licence_problems(device, jur, on)
    if not problems:
        return LicenceState("licensed", source=jur.source)
    fields = {f for f, _, _ in problems}
    only_ended = fields == {"device.licence.end_date"} or (
        fields == {"device.licence.status"} and device.licence is not None
        and device.licence.end_date is not None and device.licence.end_date < on
    )
    return LicenceState(
        "expired" if only_ended else "not_licensed",
        tuple(r for _, r, _ in problems),
        tuple(r for _, _, r in problems),
        jur.source,
    )
