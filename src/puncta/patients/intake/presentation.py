"""The questionnaire as the templates render it: labels in the reader's language, the
current answer and any error beside each question."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from .answers import safety_question
from .definition import sections, zones


def form_sections(answers: dict[str, Any], errors: dict[str, str], lang: str,
                  findings: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    fr = lang == "fr"
    zone_choices = [(code, f if fr else en) for code, en, f in zones()]
    by_question: dict[str, list[dict[str, Any]]] = {}
    for f in findings or []:
        if f.get("question"):
            by_question.setdefault(f["question"], []).append(f)
    out = []
    for s in sections():
        items = []
        for q in s.questions:
            items.append({
                "id": q.link_id,
                "html_id": "q-" + q.link_id.replace(".", "-"),
                "kind": q.kind,
                "label": q.fr if fr else q.en,
                "area": q.area,
                "safety": safety_question(q),
                "choices": [(v, f if fr else en) for v, en, f in q.choices],
                "value": answers.get(q.link_id),
                "error": errors.get(q.link_id, ""),
                "findings": by_question.get(q.link_id, []),
                "zones": zone_choices,
            })
        out.append({"key": s.key, "title": s.fr if fr else s.en, "questions": items})
    return out


def answer_summary(answers: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """Only what the patient said yes to (or wrote), for the clinician's read-only view."""
    fr = lang == "fr"
    zone_names = {code: (f if fr else en) for code, en, f in zones()}
    rows = []
    for s in sections():
        for q in s.questions:
            a = answers.get(q.link_id)
            label = q.fr if fr else q.en
            text = ""
            if q.kind == "multi" and a:
                names = {v: (f if fr else en) for v, en, f in q.choices}
                text = ", ".join(names.get(v, v) for v in a)
            elif q.kind == "text" and a:
                text = a
            elif q.kind == "phototype" and a:
                text = str(a)
            elif q.kind == "bool" and a:
                text = _("Yes")
            elif q.kind == "condition" and isinstance(a, dict) and a.get("present"):
                where = zone_names.get(a["zone"], a["zone"]) if a.get("zone") else ""
                text = _("Yes") + (f" — {where}" if where else "")
            elif q.kind == "medication" and isinstance(a, dict) and a.get("status") != "no":
                status = {"current": _("Taking it now"), "past": _("Stopped")}.get(
                    a.get("status", ""), "")
                text = status + (f" — {a['last_dose']}" if status and a.get("last_dose") else "")
            elif q.kind == "procedure" and isinstance(a, dict) and (a.get("zones") or a.get("on")):
                text = ", ".join(zone_names.get(z, z) for z in a.get("zones", []))
                text += f" — {a['on']}" if a.get("on") else ""
            if text:
                rows.append({"section": s.fr if fr else s.en, "label": label, "text": text})
    return rows
