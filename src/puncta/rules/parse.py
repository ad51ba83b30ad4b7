"""Parse plain dicts (JSON) into the frozen input dataclasses.

Strict: unknown keys, wrong types, impossible dates and absurd depths raise
`RulesInputError(field, message)` naming the bad field. Units are never converted.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from typing import Any, TypeVar

from .course import protocol_for
from .data import rules_data
from .jurisdictions import jurisdiction
from .model import (
    DEFAULT_SETTINGS,
    Condition,
    Device,
    Licence,
    Medication,
    Patient,
    Practitioner,
    PreviousSession,
    Procedure,
    Proposal,
    Restrictions,
    RulesInputError,
    Settings,
    Supervisor,
    ZoneTreatment,
)
from .recovery import check_depth_value
from .zones import parse_zone

T = TypeVar("T")


def _obj(
    value: object, field: str, allowed: Collection[str], required: Collection[str] = ()
) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RulesInputError(field, "must be an object")
    for key in value:
        if key not in allowed:
            raise RulesInputError(_join(field, str(key)), "unknown field")
    for key in required:
        if key not in value:
            raise RulesInputError(_join(field, key), "is required")
    return value


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


def _list(value: object, field: str, item: Callable[[object, str], T]) -> tuple[T, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RulesInputError(field, "must be a list")
    return tuple(item(v, f"{field}[{i}]") for i, v in enumerate(value))


def parse_date(value: object, field: str) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise RulesInputError(field, "must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RulesInputError(field, "must be a date YYYY-MM-DD") from None


def _opt_date(value: object, field: str) -> date | None:
    return None if value is None else parse_date(value, field)


def _bool(value: object, field: str, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise RulesInputError(field, "must be true or false")
    return value


def _str(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise RulesInputError(field, "must be a non-empty string")
    return value


def _code(value: object, field: str, category: str) -> str:
    code = _str(value, field)
    row = rules_data().contras.get(code)
    if row is None or row.category != category:
        known = ", ".join(c for c, r in rules_data().contras.items() if r.category == category)
        raise RulesInputError(field, f"unknown {category} code {code!r} (known: {known})")
    return code


def _condition(value: object, field: str) -> Condition:
    d = _obj(value, field, {"code", "zone", "onset", "note"}, ("code",))
    zone = d.get("zone")
    return Condition(
        code=_code(d["code"], f"{field}.code", "condition"),
        zone=None if zone is None else parse_zone(zone, f"{field}.zone"),
        onset=_opt_date(d.get("onset"), f"{field}.onset"),
    )


def _medication(value: object, field: str) -> Medication:
    d = _obj(value, field, {"code", "last_dose", "note"}, ("code",))
    return Medication(
        code=_code(d["code"], f"{field}.code", "medication"),
        last_dose=_opt_date(d.get("last_dose"), f"{field}.last_dose"),
    )


def _procedure(value: object, field: str) -> Procedure:
    d = _obj(value, field, {"code", "zone", "on", "note"}, ("code", "on"))
    zone = d.get("zone")
    return Procedure(
        code=_code(d["code"], f"{field}.code", "procedure"),
        on=parse_date(d["on"], f"{field}.on"),
        zone=None if zone is None else parse_zone(zone, f"{field}.zone"),
    )


def patient_from_dict(value: object, field: str = "patient") -> Patient:
    d = _obj(
        value,
        field,
        {
            "birth_date",
            "phototype",
            "pregnant",
            "nursing",
            "conditions",
            "medications",
            "procedures",
        },
        ("birth_date",),
    )
    phototype = d.get("phototype")
    if phototype is not None and (
        isinstance(phototype, bool) or not isinstance(phototype, int) or not 1 <= phototype <= 6
    ):
        raise RulesInputError(_join(field, "phototype"), "must be a Fitzpatrick type 1-6")
    return Patient(
        birth_date=parse_date(d["birth_date"], _join(field, "birth_date")),
        phototype=phototype,
        pregnant=_bool(d.get("pregnant"), _join(field, "pregnant")),
        nursing=_bool(d.get("nursing"), _join(field, "nursing")),
        conditions=_list(d.get("conditions"), _join(field, "conditions"), _condition),
        medications=_list(d.get("medications"), _join(field, "medications"), _medication),
        procedures=_list(d.get("procedures"), _join(field, "procedures"), _procedure),
    )


def settings_from_dict(value: object, field: str = "settings") -> Settings:
    if value is None:
        return DEFAULT_SETTINGS
    bounds = rules_data().settings
    d = _obj(value, field, set(bounds))
    kwargs: dict[str, int] = {}
    for name, bound in bounds.items():
        if name not in d:
            continue
        v = d[name]
        # A clinic may tighten, never loosen below the reference minimum.
        if isinstance(v, bool) or not isinstance(v, int) or not bound.min <= v <= bound.max:
            raise RulesInputError(
                _join(field, name), f"must be a whole number from {bound.min} to {bound.max}"
            )
        kwargs[name] = v
    return Settings(**kwargs)


def _practitioner(value: object, field: str) -> Practitioner:
    d = _obj(value, field, {"role", "supervising_physician"}, ("role",))
    roles = rules_data().roles
    role = d["role"]
    if not isinstance(role, str) or role not in roles:
        raise RulesInputError(f"{field}.role", f"must be one of: {', '.join(roles)}")
    sup = d.get("supervising_physician")
    if sup is None:
        return Practitioner(role=role)
    return Practitioner(role=role,
                        supervising_physician=_supervisor(sup, f"{field}.supervising_physician"))


_SUPERVISOR_KEYS = {"id", "name", "role", "on_shift", "on_site", "site_required", "attested"}


def _supervisor(value: object, field: str) -> Supervisor:
    if not isinstance(value, dict):
        raise RulesInputError(field, "must be null or an object")
    d = _obj(value, field, _SUPERVISOR_KEYS)

    def opt_bool(key: str) -> bool | None:
        v = d.get(key)
        if v is None:
            return None
        return _bool(v, f"{field}.{key}")

    sid = d.get("id")
    if sid is not None and (isinstance(sid, bool) or not isinstance(sid, int | str)):
        raise RulesInputError(f"{field}.id", "must be a number or a string")
    return Supervisor(
        id=sid,
        name=_str(d.get("name", ""), f"{field}.name") if d.get("name") else "",
        role=_str(d.get("role", "physician"), f"{field}.role"),
        on_shift=opt_bool("on_shift"),
        on_site=opt_bool("on_site"),
        site_required=_bool(d.get("site_required", False), f"{field}.site_required"),
        attested=opt_bool("attested"),
    )


def _previous(value: object, field: str) -> PreviousSession:
    """A date (zones unknown: overlaps every zone) or {"on": date, "zones": [codes]}."""
    if isinstance(value, str):
        return PreviousSession(on=parse_date(value, field))
    d = _obj(value, field, {"on", "zones"}, ("on",))
    zones = _list(d.get("zones"), f"{field}.zones", parse_zone)
    return PreviousSession(on=parse_date(d["on"], f"{field}.on"), zones=zones)


def restrictions_from_dict(value: object, field: str = "restrictions") -> Restrictions:
    if value is None:
        return Restrictions()
    d = _obj(value, field, {"earliest_start", "max_depth_mm", "avoid_zones", "note"})
    max_depth = d.get("max_depth_mm")
    return Restrictions(
        earliest_start=_opt_date(d.get("earliest_start"), f"{field}.earliest_start"),
        max_depth_mm=(None if max_depth is None
                      else check_depth_value(max_depth, f"{field}.max_depth_mm")),
        avoid_zones=_list(d.get("avoid_zones"), f"{field}.avoid_zones", parse_zone),
        note=_str(d["note"], f"{field}.note") if d.get("note") else "",
    )


def _licence(value: object, field: str) -> Licence | None:
    if value is None:
        return None
    d = _obj(
        value,
        field,
        {"authority", "number", "class", "status", "first_date", "end_date", "name"},
        ("authority", "class"),
    )
    cls = d["class"]
    # A number only: "II" is how a label prints the class, not this contract's type.
    if isinstance(cls, bool) or not isinstance(cls, int) or not 1 <= cls <= 4:
        raise RulesInputError(f"{field}.class", "must be a device class number 1-4")
    number = d.get("number", "")
    if not isinstance(number, str | int) or isinstance(number, bool):
        raise RulesInputError(f"{field}.number", "must be a string")
    status = d.get("status", "active")
    return Licence(
        authority=_str(d["authority"], f"{field}.authority").upper(),
        number=str(number),
        device_class=cls,
        status=_str(status, f"{field}.status").lower(),
        first_date=_opt_date(d.get("first_date"), f"{field}.first_date"),
        end_date=_opt_date(d.get("end_date"), f"{field}.end_date"),
    )


def _device(value: object, field: str) -> Device:
    d = _obj(
        value,
        field,
        {"intended_use", "licence", "max_depth_mm", "name", "model"},
        ("intended_use",),
    )
    use = d["intended_use"]
    if use not in ("professional", "consumer"):
        raise RulesInputError(f"{field}.intended_use", "must be 'professional' or 'consumer'")
    max_depth = d.get("max_depth_mm")
    return Device(
        intended_use=use,
        licence=_licence(d.get("licence"), f"{field}.licence"),
        max_depth_mm=(
            None if max_depth is None else check_depth_value(max_depth, f"{field}.max_depth_mm")
        ),
    )


def _zone(value: object, field: str) -> ZoneTreatment:
    d = _obj(value, field, {"zone", "depth_mm", "passes"}, ("zone", "depth_mm"))
    passes = d.get("passes")
    if passes is not None and (
        isinstance(passes, bool) or not isinstance(passes, int) or not 1 <= passes <= 50
    ):
        raise RulesInputError(f"{field}.passes", "must be a whole number from 1 to 50")
    return ZoneTreatment(
        zone=parse_zone(d["zone"], f"{field}.zone"),
        depth_mm=check_depth_value(d["depth_mm"], f"{field}.depth_mm"),
        passes=passes,
    )


_PROPOSAL_KEYS = {
    "on",
    "jurisdiction",
    "indication",
    "severity",
    "patient",
    "practitioner",
    "device",
    "zones",
    "previous_sessions",
    "settings",
    "restrictions",
}


def proposal_from_dict(value: object) -> Proposal:
    d = _obj(
        value,
        "",
        _PROPOSAL_KEYS,
        ("on", "jurisdiction", "indication", "patient", "practitioner", "device", "zones"),
    )
    on = parse_date(d["on"], "on")
    jurisdiction(d["jurisdiction"])
    protocol = protocol_for(d["indication"])
    severity = d.get("severity")
    if severity is not None and (not isinstance(severity, str)
                                 or severity not in protocol.sessions):
        raise RulesInputError("severity", f"must be one of: {', '.join(protocol.sessions)}")
    zones = _list(d["zones"], "zones", _zone)
    if not zones:
        raise RulesInputError("zones", "must list at least one zone")
    previous = _list(d.get("previous_sessions"), "previous_sessions", _previous)
    for i, prev in enumerate(previous):
        if prev.on > on:
            raise RulesInputError(f"previous_sessions[{i}]", "must not be after the session date")
    patient = patient_from_dict(d["patient"])
    if patient.birth_date > on:
        raise RulesInputError("patient.birth_date", "must not be after the session date")
    return Proposal(
        on=on,
        jurisdiction=d["jurisdiction"],
        indication=d["indication"],
        patient=patient,
        practitioner=_practitioner(d["practitioner"], "practitioner"),
        device=_device(d["device"], "device"),
        zones=zones,
        previous_sessions=previous,
        severity=severity,
        settings=settings_from_dict(d.get("settings")),
        restrictions=restrictions_from_dict(d.get("restrictions")),
    )
