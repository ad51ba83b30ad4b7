"""Puncta clinical rules: pure functions over frozen dataclasses, facts from TOML data.

Never raises for a clinical "no" (that is a `Decision`); raises `RulesInputError` for
malformed input only. Time is always passed in.
"""

from .codes import codes
from .course import plan_course, session_windows
from .data import ENGINE_VERSION, RULES_VERSION
from .density import puncture_density
from .findings import decide
from .layers import layer_reached
from .model import (
    DEFAULT_SETTINGS,
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
    Practitioner,
    Procedure,
    Proposal,
    RollerSpec,
    RulesInputError,
    SessionDecision,
    SessionWindow,
    Settings,
    Technique,
    ZoneRef,
    ZoneResult,
    ZoneTreatment,
)
from .numbing import check_numbing
from .parse import patient_from_dict, proposal_from_dict, settings_from_dict
from .recovery import MAX_DEPTH_MM, aftercare, downtime, precare
from .screening import screen
from .session import check_session
from .zones import parse_zone

__all__ = [
    "DEFAULT_SETTINGS",
    "ENGINE_VERSION",
    "MAX_DEPTH_MM",
    "RULES_VERSION",
    "AftercareItem",
    "Condition",
    "Course",
    "DayRange",
    "Decision",
    "DensityEstimate",
    "Device",
    "Finding",
    "Licence",
    "Medication",
    "NumbingStatus",
    "Patient",
    "PenSpec",
    "Practitioner",
    "Procedure",
    "Proposal",
    "RollerSpec",
    "RulesInputError",
    "SessionDecision",
    "SessionWindow",
    "Settings",
    "Technique",
    "ZoneRef",
    "ZoneResult",
    "ZoneTreatment",
    "aftercare",
    "check_numbing",
    "check_session",
    "codes",
    "decide",
    "downtime",
    "layer_reached",
    "parse_zone",
    "patient_from_dict",
    "plan_course",
    "precare",
    "proposal_from_dict",
    "puncture_density",
    "screen",
    "session_windows",
    "settings_from_dict",
]
