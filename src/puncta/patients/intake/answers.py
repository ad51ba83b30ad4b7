"""Turning submitted form fields into structured answers, and answers into rules facts.

Answers are a dict keyed by question id:
  concerns: [codes]            goals / other_history: str
  phototype: 1..6 | None       skin_thin / pregnant / ...: bool (safety: None = unanswered)
  cond.<code>: {"present": bool | None, "zone": str}
  med.<code>: {"status": "" | "no" | "current" | "past", "last_dose": "YYYY-MM-DD" | ""}

A safety question (one the rules read: pregnancy, conditions, medications) starts
unanswered: a patient who skims must not submit a clean history by default. ``None`` (or
status ``""``) means "not answered yet"; submitting from the web form needs an answer.
  proc.<code>: {"zones": [zone codes], "on": "YYYY-MM-DD" | ""}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from puncta import facts, rules

from .definition import Question, question_codes, questions, zones

MAX_TEXT = 2000
YES = {"1", "on", "true", "yes"}
NO = {"0", "off", "false", "no"}


def _tristate(raw: object) -> bool | None:
    value = str(raw).strip().lower()
    return True if value in YES else False if value in NO else None


def _date(raw: str, born: dt.date, today: dt.date) -> tuple[str, str | None]:
    raw = raw.strip()
    if not raw:
        return "", None
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        return raw, _("Enter the date as year-month-day, e.g. 2026-03-14.")
    if value > today:
        return raw, _("This date is in the future.")
    if value < born:
        return raw, _("This date is before the date of birth.")
    return value.isoformat(), None


def parse(data: Mapping[str, Any], *, born: dt.date, today: dt.date,
          only_present: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
    """Answers and per-question errors from form data (a QueryDict or a plain dict).

    With ``only_present`` (autosave of part of a form), questions with no field in the
    data are left out instead of being read as empty.
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    zone_codes = {z[0] for z in zones()}

    def getlist(name: str) -> list[str]:
        if hasattr(data, "getlist"):
            return [str(v) for v in data.getlist(name)]
        value = data.get(name, [])
        return [str(v) for v in (value if isinstance(value, list) else [value])]

    def present(q: Question) -> bool:
        return any(k == q.link_id or k.startswith(q.link_id + ".") for k in data)

    for q in questions().values():
        if only_present and not present(q) and q.kind not in ("bool", "multi"):
            continue
        key = q.link_id
        if q.kind == "multi":
            allowed = {c[0] for c in q.choices}
            chosen = [v for v in getlist(key) if v in allowed]
            if only_present and key not in data and f"{key}.sent" not in data:
                continue
            answers[key] = chosen
        elif q.kind == "text":
            text = str(data.get(key, "")).strip()
            if len(text) > MAX_TEXT:
                errors[key] = _("Please keep this under %(n)s characters.") % {"n": MAX_TEXT}
                text = text[:MAX_TEXT]
            answers[key] = text
        elif q.kind == "phototype":
            raw = str(data.get(key, "")).strip()
            answers[key] = int(raw) if raw in {"1", "2", "3", "4", "5", "6"} else None
        elif q.kind == "bool":
            if only_present and key not in data and f"{key}.sent" not in data:
                continue
            if q.rules_code:
                answers[key] = _tristate(data.get(key, ""))
            else:
                answers[key] = str(data.get(key, "")).lower() in YES
        elif q.kind == "condition":
            zone = str(data.get(f"{key}.zone", "")).strip()
            if zone and zone not in zone_codes:
                errors[key] = _("Choose an area from the list.")
                zone = ""
            answers[key] = {
                "present": _tristate(data.get(f"{key}.present", "")),
                "zone": zone,
            }
        elif q.kind == "medication":
            status = str(data.get(f"{key}.status", ""))
            if status not in {"no", "current", "past"}:
                status = ""
            last, err = _date(str(data.get(f"{key}.last_dose", "")), born, today)
            if err:
                errors[key] = err
            elif status == "past" and not last:
                errors[key] = _("Enter the date of the last dose.")
            answers[key] = {"status": status, "last_dose": last if status == "past" else ""}
        elif q.kind == "procedure":
            chosen = [z for z in getlist(f"{key}.zones") if z in zone_codes]
            on, err = _date(str(data.get(f"{key}.on", "")), born, today)
            if err:
                errors[key] = err
            answers[key] = {"zones": chosen, "on": on}
    return answers, errors


def to_rules_patient(
    *, birth_date: dt.date, phototype: int | None, answers: Mapping[str, Any], on: dt.date
) -> tuple[rules.Patient, dict[str, str]]:
    """The rules engine's patient (through the one records→rules adapter), and which
    question each rules field came from."""
    return facts.patient(birth_date=birth_date, phototype=phototype, answers=answers, on=on,
                         question_codes=question_codes())


def safety_question(q: Question) -> bool:
    """A question the rules read about the patient's safety: it needs an explicit answer."""
    return bool(q.rules_code) and q.kind in ("bool", "condition", "medication")


def unanswered(answers: Mapping[str, Any]) -> dict[str, str]:
    """Safety questions without an explicit answer, with the message shown beside each."""
    errors: dict[str, str] = {}
    for q in questions().values():
        if not safety_question(q):
            continue
        a = answers.get(q.link_id)
        if q.kind == "bool":
            missing = a is None
        elif q.kind == "condition":
            missing = not isinstance(a, dict) or a.get("present") is None
        else:
            missing = not isinstance(a, dict) or not a.get("status")
        if missing:
            errors[q.link_id] = _("Please answer this question.")
    return errors


def all_no() -> dict[str, str]:
    """Form data answering "no" to every safety question (for demos and tests)."""
    data: dict[str, str] = {}
    for q in questions().values():
        if not safety_question(q):
            continue
        if q.kind == "bool":
            data[q.link_id] = "no"
            data[f"{q.link_id}.sent"] = "1"
        elif q.kind == "condition":
            data[f"{q.link_id}.present"] = "no"
        else:
            data[f"{q.link_id}.status"] = "no"
    return data
