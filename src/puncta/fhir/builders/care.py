"""Consent, QuestionnaireResponse, CarePlan, Appointment, Procedure, AdverseEvent,
DocumentReference and AuditEvent."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from puncta import rules
from puncta.charting.models import AEKind
from puncta.consent.models import Procedure as ConsentProcedure
from puncta.fhir import codes
from puncta.scheduling.models import Kind

from . import Ctx, Json, clean, coding, concept, day, instant, labels, meta, number, ref, url_maker

LOINC = "http://loinc.org"
CONSENT_LOINC = ("59284-0", "Patient Consent")


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, str]]:
    data = rules.codes()
    return {
        "indication": {r["code"]: str(r["en"]) for r in data["indications"]},
        "zone": {r["code"]: str(r["en"]) for r in data["zones"]},
        "ae": labels(AEKind), "consent": labels(ConsentProcedure), "kind": labels(Kind),
    }


@lru_cache(maxsize=1)
def _urls() -> dict[str, Any]:
    return {"consent": url_maker("consent:pdf"),
            "aftercare": url_maker("charting:aftercare_pdf")}


def indication(code: str) -> Json:
    return concept(codes.CS_INDICATION, code, _labels()["indication"].get(code))


def zone_site(code: str) -> Json:
    """A zone code such as ``cheek_left`` as a body site: Puncta's code, SNOMED CT where
    the zone is one concept beyond doubt, and the side in the text."""
    base, _, side = code.rpartition("_")
    if side not in codes.LATERALITY:
        base, side = code, ""
    name = _labels()["zone"].get(base, base)
    codings = [coding(codes.CS_ZONE, code, name + (f" ({side})" if side else ""))]
    if base in codes.ZONE_SNOMED:
        sct, display = codes.ZONE_SNOMED[base]
        codings.append(coding(codes.SNOMED, sct, display))
    return {"coding": codings, "text": name + (f", {side}" if side else "")}


# --- Consent ------------------------------------------------------------------------------

def consent(c: Any, ctx: Ctx) -> Json:
    t = c.template
    return clean({
        "resourceType": "Consent",
        "id": str(c.pk),
        "status": "inactive" if c.withdrawn_at else "active",
        "scope": concept("http://terminology.hl7.org/CodeSystem/consentscope", "treatment",
                         "Treatment"),
        "category": [concept(LOINC, *CONSENT_LOINC)],
        "patient": ref("Patient", c.patient_id),
        "dateTime": instant(c.signed_at),
        "performer": [ref("Patient", c.patient_id, c.signer_name)]
        if not c.signer_relationship else [{"display":
                                            f"{c.signer_name} ({c.signer_relationship})"}],
        "organization": [ref("Organization", t.clinic_id)],
        "sourceAttachment": {
            "contentType": "application/pdf",
            "url": ctx.origin + _urls()["consent"](c.pk),
            "title": f"{t.title} (v{t.version}, {t.language})",
        },
        "policy": [{"uri": f"{codes.BASE}/consent-template/{t.pk}"}],
        "provision": {
            "type": "permit",
            "period": {"start": instant(c.signed_at), "end": instant(c.withdrawn_at)},
            "code": [concept(codes.CS_CONSENT, t.procedure, _labels()["consent"].get(t.procedure))],
        },
    })


# --- QuestionnaireResponse (intake) -------------------------------------------------------

def _answers(value: Any) -> list[Json]:
    values = value if isinstance(value, list) else [value]
    out: list[Json] = []
    for v in values:
        if isinstance(v, bool):
            out.append({"valueBoolean": v})
        elif isinstance(v, int):
            out.append({"valueInteger": v})
        elif isinstance(v, float):
            out.append({"valueDecimal": v})
        elif v not in (None, ""):
            out.append({"valueString": str(v)})
    return out


def questionnaire_response(r: Any, ctx: Ctx) -> Json:
    # Built without empty values (an item without an answer is left out), so attached
    # after ``clean``: an intake has dozens of items.
    items = [{"linkId": str(k), "answer": a}
             for k, v in sorted((r.answers or {}).items()) if (a := _answers(v))]
    out: Json = clean({
        "resourceType": "QuestionnaireResponse",
        "id": str(r.pk),
        "meta": meta(r.updated_at, r.version),
        "questionnaire": f"{codes.QUESTIONNAIRE_INTAKE}|{r.questionnaire.version}",
        "status": "completed" if r.status == "submitted" else "in-progress",
        "subject": ref("Patient", r.patient_id),
        "authored": instant(r.submitted_at or r.updated_at),
        "author": ref("Patient", r.patient_id) if r.submitted_by_patient else None,
    })
    if items:
        out["item"] = items
    return out


# --- CarePlan -----------------------------------------------------------------------------

PLAN_STATUS = {"active": "active", "completed": "completed", "cancelled": "revoked"}


def care_plan(p: Any, ctx: Ctx) -> Json:
    course = p.course or {}
    sessions = course.get("sessions", [])
    activities = [{
        "extension": [{"url": codes.EXT_SESSION, "valueInteger": s["number"]}],
        "detail": {
            "kind": "ServiceRequest",
            "code": concept(codes.CS_PROCEDURE, *codes.PROCEDURE_CODE),
            "status": "completed" if s.get("done") else "scheduled",
            "scheduledPeriod": {"start": s.get("earliest"), "end": s.get("latest")},
            "description": f"Session {s['number']} (target {s.get('target')})",
        },
    } for s in sessions]
    zones = [{
        "url": codes.EXT_ZONE,
        "extension": [
            {"url": "site", "valueCodeableConcept": zone_site(z.zone)},
            {"url": codes.EXT_DEPTH, "valueQuantity": _mm(z.depth_mm)},
            {"url": codes.EXT_PASSES, "valueInteger": z.passes},
        ],
    } for z in p.zones.all()]
    # A superseded version is no longer in force: revoked, pointing at its series.
    status = "revoked" if p.superseded_at else PLAN_STATUS.get(p.status, "unknown")
    return clean({
        "resourceType": "CarePlan",
        "id": str(p.pk),
        "extension": zones,
        "identifier": [{"system": f"{codes.BASE}/sid/plan-series",
                        "value": f"{p.series_id or p.pk}-v{p.version}"}],
        "status": status,
        "intent": "plan",
        "category": [concept(codes.CS_PROCEDURE, *codes.PROCEDURE_CODE)],
        "title": f"{_labels()['indication'].get(p.indication, p.indication)} "
                 f"({p.severity}), version {p.version}",
        "description": p.goals,
        "subject": ref("Patient", p.patient_id),
        "period": {"start": day(p.start)},
        "created": instant(p.created_at),
        "addresses": [],
        "note": [{"text": f"Rules verdict {p.verdict} (rules {p.rules_version})"}],
        "activity": activities,
    })


def _mm(value: Any) -> Json:
    return {"value": number(value), "unit": "mm", "system": codes.UCUM, "code": "mm"}


# --- Appointment --------------------------------------------------------------------------

APPT_STATUS = {"booked": "booked", "completed": "fulfilled", "missed": "noshow",
               "cancelled": "cancelled"}


def appointment(a: Any, ctx: Ctx) -> Json:
    participants: list[Json] = [
        {"actor": ref("Patient", a.patient_id), "status": "accepted", "required": "required"},
        {"actor": ref("PractitionerRole", a.practitioner_id), "status": "accepted",
         "type": [concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                          "PPRF", "primary performer")]},
        {"actor": ref("Location", f"room-{a.room_id}"), "status": "accepted"},
    ]
    if a.supervisor_id:
        participants.append({
            "actor": ref("PractitionerRole", a.supervisor_id), "status": "accepted",
            "type": [concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                             "SPRF", "secondary performer", "Supervising physician")]})
    if a.device_id:
        participants.append({"actor": ref("Device", a.device_id), "status": "accepted"})
    return clean({
        "resourceType": "Appointment",
        "id": str(a.pk),
        "meta": meta(a.updated_at, a.version),
        "status": APPT_STATUS.get(a.status, "booked"),
        "appointmentType": {"text": _labels()["kind"].get(a.kind)},
        "serviceType": [concept(codes.CS_PROCEDURE, *codes.PROCEDURE_CODE)]
        if a.kind == "treatment" else [],
        "description": f"Session {a.session_number}" if a.session_number else None,
        "start": instant(a.start),
        "end": instant(a.end),
        "created": instant(a.created_at),
        "supportingInformation": [ref("CarePlan", a.plan_id)] if a.plan_id else [],
        "participant": participants,
    })


# --- Procedure (a signed session chart) -----------------------------------------------------

def procedure(c: Any, ctx: Ctx) -> Json:
    content = c.content or {}
    sites = []
    for z in content.get("zones", []):
        site = zone_site(z["zone"])
        ext = []
        if z.get("depth_mm") not in (None, ""):
            ext.append({"url": codes.EXT_DEPTH, "valueQuantity": _mm(z["depth_mm"])})
        if z.get("passes") not in (None, ""):
            ext.append({"url": codes.EXT_PASSES, "valueInteger": int(z["passes"])})
        sites.append({"extension": ext, **site})
    performers: list[Json] = [{
        "function": {"text": "Practitioner"},
        "actor": ref("PractitionerRole", c.practitioner_id),
        "onBehalfOf": ref("Organization", c.clinic_id),
    }]
    if c.supervisor_id:
        performers.append({
            "function": {"text": "Supervising physician"},
            "actor": ref("PractitionerRole", c.supervisor_id),
            "onBehalfOf": ref("Organization", c.clinic_id),
        })
    used = []
    if c.lot_id:
        lot = c.lot
        used.append({"type": "Device", "identifier": {"system": codes.LOT_SYSTEM,
                                                       "value": lot.lot_number},
                     "display": f"{lot.product.manufacturer} {lot.product.name} lot "
                                f"{lot.lot_number} "
                                f"(expires {lot.expiry.isoformat()})"})
    complications = [concept(codes.CS_AE_KIND, ae.kind, _labels()["ae"].get(ae.kind))
                     for ae in c.adverse_events.all() if ae.phase == "during"]
    return clean({
        "resourceType": "Procedure",
        "id": str(c.pk),
        "meta": meta(c.updated_at, c.version),
        "extension": [{"url": codes.EXT_RULES, "valueCode": c.verdict}] if c.verdict else [],
        "identifier": [{"system": f"{codes.BASE}/sid/chart-sha256", "value": c.sha256}]
        if c.sha256 else [],
        "basedOn": [ref("CarePlan", c.plan_id)] if c.plan_id else [],
        "status": "completed",
        "code": concept(codes.CS_PROCEDURE, *codes.PROCEDURE_CODE),
        "subject": ref("Patient", c.patient_id),
        "performedDateTime": day(c.on),
        "recorder": None,
        "performer": performers,
        "location": ref("Location", f"site-{c.appointment.location_id}")
        if c.appointment_id else None,
        "reasonCode": [indication(c.indication)] if c.indication else [],
        "bodySite": sites,
        "complication": complications,
        "note": [{"text": content["notes"]}] if content.get("notes") else [],
        "focalDevice": [{"action": {"text": "used"}, "manipulated": ref("Device", c.device_id)}]
        if c.device_id else [],
        "usedReference": used,
    })


# --- AdverseEvent -------------------------------------------------------------------------

AE_OUTCOME = {"open": "ongoing", "monitoring": "recovering", "resolved": "resolved"}


def adverse_event(ae: Any, ctx: Ctx) -> Json:
    return clean({
        "resourceType": "AdverseEvent",
        "id": str(ae.pk),
        "meta": meta(ae.updated_at),
        "actuality": "actual",
        "category": [concept(
            "http://terminology.hl7.org/CodeSystem/adverse-event-category",
            "procedure-mishap", "Procedure Mishap")],
        "event": concept(codes.CS_AE_KIND, ae.kind, _labels()["ae"].get(ae.kind),
                         ae.description or None),
        "subject": ref("Patient", ae.patient_id),
        "date": day(ae.occurred_on),
        "recordedDate": instant(ae.created_at),
        "severity": concept("http://terminology.hl7.org/CodeSystem/adverse-event-severity",
                            ae.severity, ae.severity.capitalize()),
        "outcome": concept("http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
                           AE_OUTCOME.get(ae.status, "ongoing")),
        "suspectEntity": [{"instance": ref("Procedure", ae.chart_id)}] if ae.chart_id else [],
    })


# --- DocumentReference ----------------------------------------------------------------------

def consent_document(c: Any, ctx: Ctx) -> Json:
    t = c.template
    return clean({
        "resourceType": "DocumentReference",
        "id": f"consent-{c.pk}",
        "status": "current",
        "docStatus": "final",
        "type": concept(LOINC, *CONSENT_LOINC),
        "category": [concept(codes.CS_DOCUMENT, "consent", "Signed consent")],
        "subject": ref("Patient", c.patient_id),
        "date": instant(c.signed_at),
        "custodian": ref("Organization", t.clinic_id),
        "description": t.title,
        "content": [{"attachment": {
            "contentType": "application/pdf", "language": t.language,
            "url": ctx.origin + _urls()["consent"](c.pk),
            "title": f"{t.title} (v{t.version})"}}],
        "context": {"related": [ref("Consent", c.pk)]},
    })


def aftercare_document(c: Any, ctx: Ctx) -> Json:
    sheet = c.aftercare or {}
    return clean({
        "resourceType": "DocumentReference",
        "id": f"aftercare-{c.pk}",
        "status": "current",
        "docStatus": "final",
        "type": concept(codes.CS_DOCUMENT, "aftercare", "Aftercare sheet"),
        "category": [concept(codes.CS_DOCUMENT, "patient-instructions",
                             "Patient instructions")],
        "subject": ref("Patient", c.patient_id),
        "date": instant(c.signed_at),
        "custodian": ref("Organization", c.clinic_id),
        "content": [{"attachment": {
            "contentType": "application/pdf", "language": sheet.get("language"),
            "url": ctx.origin + _urls()["aftercare"](c.pk),
            "title": f"Aftercare after the session of {c.on.isoformat()}"}}],
        "context": {"related": [ref("Procedure", c.pk)],
                    "period": {"start": day(c.on)}},
    })


# --- AuditEvent -----------------------------------------------------------------------------

AUDIT_ACTION = {"create": "C", "read": "R", "update": "U", "delete": "D", "list": "E",
                "export": "E", "login": "E", "login_failed": "E", "logout": "E"}
AUDIT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"


def audit_event(e: Any, ctx: Ctx) -> Json:
    entity = [{"what": {"identifier": {"system": f"{codes.BASE}/sid/record/{e.object_type}",
                                       "value": e.object_id}},
               "type": coding(f"{codes.BASE}/CodeSystem/record-type", e.object_type)}]
    if e.patient_id:
        entity.append({"what": ref("Patient", e.patient_id),
                       "role": coding("http://terminology.hl7.org/CodeSystem/object-role",
                                      "1", "Patient")})
    return clean({
        "resourceType": "AuditEvent",
        "id": str(e.pk),
        "type": coding(AUDIT_TYPE, "rest", "RESTful Operation")
        if e.action not in ("login", "login_failed", "logout") else
        coding("http://dicom.nema.org/resources/ontology/DCM", "110114", "User Authentication"),
        "subtype": [coding(codes.CS_AUDIT_ACTION, e.action)],
        "action": AUDIT_ACTION.get(e.action, "E"),
        "recorded": instant(e.at),
        "outcome": "4" if e.action == "login_failed" else "0",
        "agent": [{
            "who": {"display": e.actor_label,
                    "identifier": {"system": f"{codes.BASE}/sid/user",
                                   "value": str(e.actor_id)} if e.actor_id else None},
            "role": [{"text": e.role}] if e.role else [],
            "requestor": True,
            "network": {"address": e.ip, "type": "2"} if e.ip else None,
        }],
        "source": {"observer": ref("Organization", e.clinic_id) if e.clinic_id
                   else {"display": "Puncta"}},
        "entity": entity,
        # Unsealed for a moment after it is written: no hash to show yet.
        "extension": [{"url": f"{codes.BASE}/StructureDefinition/audit-hash",
                       "valueString": e.hash}] if e.hash else [],
    })
