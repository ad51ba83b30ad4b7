"""Roles a member of a clinic holds, and what each role may do.

The codes match the role names the rules engine understands (``puncta.rules``), so a
membership's role can be handed to the rules as it is.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PHYSICIAN = "physician", _("Physician")
    NURSE_PRACTITIONER = "nurse_practitioner", _("Nurse practitioner")
    REGISTERED_NURSE = "registered_nurse", _("Registered nurse")
    MEDICAL_AESTHETICIAN = "medical_aesthetician", _("Medical aesthetician")
    FRONT_DESK = "front_desk", _("Front desk")
    CLINIC_ADMIN = "clinic_admin", _("Clinic administrator")


CLINICAL_ROLES = frozenset(
    {
        Role.PHYSICIAN,
        Role.NURSE_PRACTITIONER,
        Role.REGISTERED_NURSE,
        Role.MEDICAL_AESTHETICIAN,
    }
)

_ALL = frozenset(Role)

# What each permission allows, by role. Views and the API ask ``has_perm(role, perm)``.
PERMISSIONS: dict[str, frozenset[str]] = {
    "patient.view": _ALL,
    "patient.create": frozenset({*CLINICAL_ROLES, Role.FRONT_DESK, Role.CLINIC_ADMIN}),
    "patient.edit": frozenset({*CLINICAL_ROLES, Role.FRONT_DESK, Role.CLINIC_ADMIN}),
    # Skin and clinical notes are written by clinicians only.
    "patient.edit_clinical": CLINICAL_ROLES,
    "audit.view": frozenset({Role.PHYSICIAN, Role.CLINIC_ADMIN}),
    # Intake: anyone who meets patients may send the link and see whether screening is
    # done or needs review; the health answers (pregnancy, conditions, medications, the
    # questionnaire and the screening's details) are for clinicians only, so filling the
    # questionnaire at the desk, which shows them, is too.
    "intake.send": frozenset({*CLINICAL_ROLES, Role.FRONT_DESK}),
    "intake.answers": CLINICAL_ROLES,
    "screening.view": CLINICAL_ROLES,
    "screening.review": frozenset({Role.PHYSICIAN}),
    # Plans: clinicians plan; only a physician approves a plan the rules send to review.
    "plan.view": _ALL,
    "plan.edit": CLINICAL_ROLES,
    "plan.approve": frozenset({Role.PHYSICIAN}),
    # Scheduling: the front desk books; everyone in the clinic sees the calendar.
    "appointment.view": _ALL,
    "appointment.book": frozenset({*CLINICAL_ROLES, Role.FRONT_DESK, Role.CLINIC_ADMIN}),
    # Booking a session outside its course window is a clinical decision.
    "appointment.override": frozenset({Role.PHYSICIAN}),
    "consent.record": frozenset({*CLINICAL_ROLES, Role.FRONT_DESK}),
    "consent.manage": frozenset({Role.PHYSICIAN, Role.CLINIC_ADMIN}),
    "clinic.manage": frozenset({Role.CLINIC_ADMIN}),
    # Removing a member's two-step sign-in (a lost phone) is the administrator's.
    "mfa.reset": frozenset({Role.CLINIC_ADMIN}),
    "procedure.perform": CLINICAL_ROLES,
    "procedure.supervise": frozenset({Role.PHYSICIAN}),
    # Devices: everyone may see the equipment and its licence; clinicians and the clinic
    # administrator keep the register and receive stock; clinicians draw cartridges; a
    # recall trace names patients, so only those who write recall letters see it.
    "device.view": _ALL,
    "device.manage": frozenset({*CLINICAL_ROLES, Role.CLINIC_ADMIN}),
    "lot.receive": frozenset({*CLINICAL_ROLES, Role.CLINIC_ADMIN}),
    "lot.draw": CLINICAL_ROLES,
    "lot.trace": frozenset({Role.PHYSICIAN, Role.NURSE_PRACTITIONER, Role.CLINIC_ADMIN}),
    # Charting: clinicians read and write session charts; only a physician co-signs.
    # Adverse events are recorded by clinicians; the clinic report is also for the admin.
    "chart.view": CLINICAL_ROLES,
    "chart.edit": CLINICAL_ROLES,
    "chart.cosign": frozenset({Role.PHYSICIAN}),
    "adverse.record": CLINICAL_ROLES,
    "adverse.report": frozenset({*CLINICAL_ROLES, Role.CLINIC_ADMIN}),
    # The compliance page: the clinic administrator, and a physician who is the medical
    # director (the view also checks the membership's medical-director flag).
    "compliance.view": frozenset({Role.PHYSICIAN, Role.CLINIC_ADMIN}),
    # Merging a duplicate patient record moves a whole history: a physician or the admin.
    "patient.merge": frozenset({Role.PHYSICIAN, Role.CLINIC_ADMIN}),
    # Outcomes: clinicians take photographs, rate scales and send the patient's link
    # (follow-up links also go out by the outcome schedule's tasks); photographs are
    # clinical records, so only clinicians see them; the de-identified clinic report is
    # also for the clinic administrator.
    "outcome.view": CLINICAL_ROLES,
    "outcome.record": CLINICAL_ROLES,
    "outcome.link": CLINICAL_ROLES,
    "outcome.report": frozenset({*CLINICAL_ROLES, Role.CLINIC_ADMIN}),
    "photo.view": CLINICAL_ROLES,
    "photo.capture": CLINICAL_ROLES,
}


def has_perm(role: str | None, perm: str) -> bool:
    if role is None:
        return False
    return role in PERMISSIONS.get(perm, frozenset())


def roles_with(perm: str) -> list[str]:
    """The roles a permission allows, for a query (``role__in=roles_with(...)``)."""
    return sorted(PERMISSIONS.get(perm, frozenset()))
