"""Observation (a scale assessment) and Media (a clinical photograph), from the outcomes
app.

No scale Puncta offers has a LOINC code this project could confirm (LOINC has panels for
some patient-reported instruments, none found for Goodman & Baron, Glogau, Fitzpatrick
wrinkle, Vancouver, POSAS or GAIS), so the code is Puncta's own scale code, with the
scale's name as display; each item of a multi-item scale is a component coded
``scale.item``. A photograph's bytes are never inlined: the attachment's ``url`` is the
authenticated, audited file endpoint of the API (the same bearer token reads it)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from puncta.fhir import codes
from puncta.rules import scales as rule_scales

from . import Ctx, Json, clean, concept, day, instant, meta, ref
from .care import zone_site

OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
MEDIA_TYPE = "http://terminology.hl7.org/CodeSystem/media-type"


@lru_cache(maxsize=1)
def _scales() -> dict[str, tuple[str, dict[str, str], bool]]:
    """scale code -> (name, item names, several items)."""
    return {code: (s.en, {i.code: i.en for i in s.items}, len(s.items) > 1)
            for code, s in rule_scales.scales().items()}


@lru_cache(maxsize=1)
def _views() -> dict[str, str]:
    return {code: v.en for code, v in rule_scales.photo_views().items()}


def photo_url(pk: int) -> str:
    """The API's file route: bearer token, ``photo.view``, read audited before any byte."""
    return f"/api/v1/photos/{pk}/file?size=full"


def timepoint(obj: Any) -> str:
    if obj.timepoint == "session" and obj.session_number:
        return f"session:{obj.session_number}"
    if obj.timepoint == "follow_up" and obj.months:
        return f"follow_up:{obj.months}"
    return str(obj.timepoint)


def _performer(obj: Any, recorder_attr: str) -> Json | None:
    """Who rated or took it: the patient (for their own ratings), else the clinic member
    (PractitionerRole id = membership id, annotated by the registry's queryset)."""
    if getattr(obj, "by_patient", False):
        return ref("Patient", obj.patient_id)
    member = getattr(obj, recorder_attr, None)
    return ref("PractitionerRole", member) if member else None


def observation(a: Any, ctx: Ctx) -> Json:
    name, items, several = _scales().get(a.scale, (a.scale, {}, False))
    answers = a.answers or {}
    components = [{
        "code": concept(codes.CS_SCALE_ITEM, f"{a.scale}.{k}", items.get(k)),
        "valueInteger": int(v),
    } for k, v in answers.items() if isinstance(v, int)] if several else []
    performer = _performer(a, "recorder_role_id")
    return clean({
        "resourceType": "Observation",
        "id": str(a.pk),
        "meta": meta(a.created_at),
        "extension": [{"url": codes.EXT_TIMEPOINT, "valueString": timepoint(a)},
                      {"url": codes.EXT_SCALES_VERSION, "valueString": a.scales_version}],
        "basedOn": [ref("CarePlan", a.plan_id)] if a.plan_id else [],
        "partOf": [ref("Procedure", a.chart_id)] if a.chart_id else [],
        "status": "final",
        "category": [concept(OBS_CATEGORY, "survey", "Survey")],
        "code": concept(codes.CS_SCALE, a.scale, name),
        "subject": ref("Patient", a.patient_id),
        "effectiveDateTime": day(a.on),
        "issued": instant(a.created_at),
        "performer": [performer] if performer else [],
        "valueInteger": a.total,
        "interpretation": [{"text": a.band}] if a.band else [],
        "method": {"text": "Rated by the patient" if a.rater == "patient"
                   else "Rated by the clinician"},
        "component": components,
    })


def media(p: Any, ctx: Ctx) -> Json:
    operator = _performer(p, "creator_role_id")
    return clean({
        "resourceType": "Media",
        "id": str(p.pk),
        "meta": meta(p.created_at),
        "extension": [{"url": codes.EXT_TIMEPOINT, "valueString": timepoint(p)}],
        "identifier": [{"system": f"{codes.BASE}/sid/photo-sha256", "value": p.sha256}],
        "basedOn": [ref("CarePlan", p.plan_id)] if p.plan_id else [],
        "partOf": [ref("Procedure", p.chart_id)] if p.chart_id else [],
        "status": "completed",
        "type": concept(MEDIA_TYPE, "image", "Image"),
        "view": concept(codes.CS_PHOTO_VIEW, p.view, _views().get(p.view)),
        "subject": ref("Patient", p.patient_id),
        "createdDateTime": day(p.taken_on),
        "issued": instant(p.created_at),
        "operator": operator,
        "bodySite": zone_site(p.zone) if p.zone else None,
        "height": p.height,
        "width": p.width,
        "content": {
            "contentType": "image/jpeg",
            "url": ctx.origin + photo_url(p.pk),
            "size": p.size_bytes,
            "title": f"{_views().get(p.view, p.view)}, {p.taken_on.isoformat()}",
            "creation": day(p.taken_on),
        },
    })

