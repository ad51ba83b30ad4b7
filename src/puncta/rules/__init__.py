"""Puncta clinical rules: pure functions over frozen dataclasses, facts from TOML data.

Never raises for a clinical "no" (that is a `Decision`); raises `RulesInputError` for
malformed input only. Time is always passed in.
"""

from .checkin import CheckIn, checkin
from .codes import codes
from .course import plan_course, session_windows
from .data import ENGINE_VERSION, RULES_VERSION
from .dates import is_adult
from .density import puncture_density
from .device import LicenceState, licence_state
from .findings import decide, verdict_of, verdict_of_severities
from .jurisdictions import (
    AgeOfMajority,
    ConsentAge,
    age_of_majority,
    consent_age,
    guardian_required,
    guardian_role,
    min_device_class,
)
from .layers import layer_reached
from .model import (
    DEFAULT_SETTINGS,
    NO_RESTRICTIONS,
    SEVERITY_RANK,
    AftercareItem,
    Condition,
    Course,
    DayRange,
    Decision,
    DensityEstimate,
    Device,
    Finding,
    Licence,
    Medication,
    NumbingStatus,
    Patient,
    PenSpec,
    PlanProposal,
    Practitioner,
    PreviousSession,
    Procedure,
    Proposal,
    Restrictions,
    RollerSpec,
    RulesInputError,
    SessionDecision,
    SessionWindow,
    Settings,
    Supervisor,
    Technique,
    ZoneRef,
    ZoneResult,
    ZoneTreatment,
)
from .numbing import check_numbing
from .parse import (
    patient_from_dict,
    proposal_from_dict,
    restrictions_from_dict,
    settings_from_dict,
)
from .recovery import MAX_DEPTH_MM, aftercare, downtime, precare
from .screening import screen
from .session import check_plan, check_session
from .zones import parse_zone

__all__ = [
    "DEFAULT_SETTINGS",
    "ENGINE_VERSION",
    "MAX_DEPTH_MM",
    "NO_RESTRICTIONS",
    "RULES_VERSION",
    "SEVERITY_RANK",
    "AftercareItem",
    "AgeOfMajority",
    "CheckIn",
    "Condition",
    "ConsentAge",
    "Course",
    "DayRange",
    "Decision",
    "DensityEstimate",
    "Device",
    "Finding",
    "Licence",
    "LicenceState",
    "Medication",
    "NumbingStatus",
    "Patient",
    "PenSpec",
    "PlanProposal",
    "Practitioner",
    "PreviousSession",
    "Procedure",
    "Proposal",
    "Restrictions",
    "RollerSpec",
    "RulesInputError",
    "SessionDecision",
    "SessionWindow",
    "Settings",
    "Supervisor",
    "Technique",
    "ZoneRef",
    "ZoneResult",
    "ZoneTreatment",
    "aftercare",
    "age_of_majority",
    "check_numbing",
    "check_plan",
    "check_session",
    "checkin",
    "codes",
    "consent_age",
    "decide",
    "downtime",
    "guardian_required",
    "guardian_role",
    "is_adult",
    "layer_reached",
    "licence_state",
    "min_device_class",
    "parse_zone",
    "patient_from_dict",
    "plan_course",
    "precare",
    "proposal_from_dict",
    "puncture_density",
    "restrictions_from_dict",
    "screen",
    "session_windows",
    "settings_from_dict",
    "verdict_of",
    "verdict_of_severities",
]
