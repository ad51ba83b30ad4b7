"""Who may treat: clinical roles only; a physician for dermal depth or medical indications.

Clinic brief: a treatment with a medical device that addresses a medical condition is
supervised by a physician; providers without medical oversight stay in the epidermis.
"""

from __future__ import annotations

from collections.abc import Sequence

from .data import rules_data
from .findings import make
from .model import Finding, Practitioner, Supervisor, ZoneResult, ZoneTreatment
from .zones import zone_label


def physician_present(practitioner: Practitioner) -> bool:
    role = rules_data().roles[practitioner.role]
    return role.physician or practitioner.supervising_physician is not None


def check_supervision(
    practitioner: Practitioner,
    indication: str,
    zones: Sequence[ZoneTreatment],
    results: Sequence[ZoneResult],
) -> list[Finding]:
    data = rules_data()
    role = data.roles[practitioner.role]
    if not role.clinical:
        return [
            make(
                "practitioner.not_clinical",
                "practitioner.role",
                role=role.en,
                role_fr=role.fr,
                source=role.source,
            )
        ]
    if role.physician:
        return []
    reasons: list[tuple[str, str]] = []
    for zt, r in zip(zones, results, strict=True):
        if r.reaches == "dermis":
            reasons.append(
                (
                    f"{zone_label(zt.zone)} reaches the dermis",
                    f"{zone_label(zt.zone, 'fr')} atteint le derme",
                )
            )
            break  # one zone is enough to explain; the zones list shows the others
    protocol = data.protocols[indication]
    if protocol.medical:
        reasons.append(
            (f"{protocol.en} is a medical condition", f"{protocol.fr} : affection médicale")
        )
    if not reasons:
        return []
    if practitioner.supervising_physician is not None:
        return _presence(practitioner.supervising_physician)
    return [
        make(
            "supervision.required",
            "practitioner.supervising_physician",
            reason="; ".join(r[0] for r in reasons),
            reason_fr="; ".join(r[1] for r in reasons),
            role=role.en,
            role_fr=role.fr,
        )
    ]


def _presence(sup: Supervisor) -> list[Finding]:
    """A named supervisor counts only when really there: on shift (and on site where the
    clinic requires it) and, at signing, having attested it. Unknown facts (``None``) are
    not findings: a plan has no shift yet."""
    name = sup.name or "The supervising physician"
    out: list[Finding] = []
    if sup.on_shift is False:
        out.append(make("supervision.off_shift", "practitioner.supervising_physician.on_shift",
                        name=name))
    elif sup.site_required and sup.on_site is False:
        out.append(make("supervision.off_site", "practitioner.supervising_physician.on_site",
                        name=name))
    if sup.attested is False:
        out.append(make("supervision.not_attested",
                        "practitioner.supervising_physician.attested", name=name))
    return out
