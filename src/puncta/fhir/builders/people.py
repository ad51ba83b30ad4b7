"""Patient, Practitioner, PractitionerRole, Organization, Location and Device."""

from __future__ import annotations

from typing import Any

from puncta.fhir import codes

from . import Ctx, Json, clean, concept, day, meta, ref

# Puncta records sex at birth; FHIR's ``gender`` is administrative gender. The closest
# honest mapping: intersex is "other", not disclosed is "unknown".
GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}
PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
DEVICE_STATUS = {"in_service": "active", "out_of_service": "inactive", "retired": "inactive"}


def patient(p: Any, ctx: Ctx) -> Json:
    telecom = []
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone, "use": "mobile"})
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    return clean({
        "resourceType": "Patient",
        "id": str(p.pk),
        "meta": meta(p.updated_at, p.version),
        "identifier": [{
            "use": "usual",
            "type": concept(V2_0203, "MR", "Medical record number"),
            "system": codes.mrn_system(p.clinic_id),
            "value": p.mrn,
        }],
        "active": True,
        "name": [{"use": "official", "text": f"{p.given_name} {p.family_name}",
                  "family": p.family_name, "given": [p.given_name]}],
        "telecom": telecom,
        "gender": GENDER.get(p.sex_at_birth, "unknown"),
        "birthDate": day(p.date_of_birth),
        "communication": [{"language": concept(codes.BCP47, p.preferred_language,
                                                {"en": "English", "fr": "French"}.get(
                                                    p.preferred_language)),
                           "preferred": True}],
        "managingOrganization": ref("Organization", p.clinic_id),
    })


def _role_display(m: Any) -> str:
    return str(m.get_role_display())


def practitioner(m: Any, ctx: Ctx) -> Json:
    """A clinic member as a Practitioner. The id is the membership's, so the resource
    says nothing of the person's work at any other clinic."""
    user = m.user
    qualification = []
    if m.registration_number:
        qualification.append({
            "identifier": [{"system": codes.REGISTRATION_SYSTEM,
                            "value": m.registration_number}],
            "code": {"text": _role_display(m)},
            "issuer": {"display": m.registration_body} if m.registration_body else None,
        })
    return clean({
        "resourceType": "Practitioner",
        "id": str(m.pk),
        "identifier": [{"system": codes.REGISTRATION_SYSTEM, "value": m.registration_number}]
        if m.registration_number else [],
        "active": bool(m.is_active and user.is_active),
        "name": [{"text": user.get_full_name() or user.get_username(),
                  "family": user.last_name, "given": [user.first_name] if user.first_name
                  else []}],
        "telecom": [{"system": "email", "value": user.email}] if user.email else [],
        "qualification": qualification,
        "communication": [concept(codes.BCP47, user.language)],
    })


def practitioner_role(m: Any, ctx: Ctx) -> Json:
    codings = [{"system": codes.CS_ROLE, "code": m.role, "display": _role_display(m)}]
    if m.is_medical_director:
        codings.append({"system": codes.CS_ROLE, "code": "medical_director",
                        "display": "Medical director"})
    return clean({
        "resourceType": "PractitionerRole",
        "id": str(m.pk),
        "identifier": [{"system": codes.REGISTRATION_SYSTEM, "value": m.registration_number,
                        "assigner": {"display": m.registration_body}
                        if m.registration_body else None}]
        if m.registration_number else [],
        "active": bool(m.is_active),
        "practitioner": ref("Practitioner", m.pk, m.user.get_full_name() or None),
        "organization": ref("Organization", m.clinic_id),
        "code": [{"coding": codings, "text": _role_display(m)}],
    })


def organization(c: Any, ctx: Ctx) -> Json:
    return clean({
        "resourceType": "Organization",
        "id": str(c.pk),
        "active": True,
        "type": [concept("http://terminology.hl7.org/CodeSystem/organization-type", "prov",
                         "Healthcare Provider")],
        "name": c.name,
        "alias": [c.legal_name] if c.legal_name and c.legal_name != c.name else [],
    })


def site(loc: Any, ctx: Ctx) -> Json:
    return clean({
        "resourceType": "Location",
        "id": f"site-{loc.pk}",
        "status": "active",
        "name": loc.name,
        "mode": "instance",
        "physicalType": concept(PHYSICAL_TYPE, "si", "Site"),
        "address": {"text": loc.address} if loc.address else None,
        "managingOrganization": ref("Organization", loc.clinic_id),
    })


def room(r: Any, ctx: Ctx) -> Json:
    return clean({
        "resourceType": "Location",
        "id": f"room-{r.pk}",
        "status": "active" if r.is_active else "inactive",
        "name": r.name,
        "mode": "instance",
        "physicalType": concept(PHYSICAL_TYPE, "ro", "Room"),
        "managingOrganization": ref("Organization", r.location.clinic_id),
        "partOf": ref("Location", f"site-{r.location_id}", r.location.name),
    })


def device(d: Any, ctx: Ctx) -> Json:
    identifiers: list[Json] = [{"system": codes.SERIAL_SYSTEM, "value": d.serial_number,
                                "type": {"text": "Serial number"}}]
    lic = d.licence
    if lic is not None:
        identifiers.append({
            "system": codes.LICENCE_SYSTEM.get(lic.authority, codes.BASE),
            "value": lic.number,
            "type": {"text": str(lic.get_authority_display())},
            "period": {"start": day(lic.first_date), "end": day(lic.end_date)},
        })
    return clean({
        "resourceType": "Device",
        "id": str(d.pk),
        "meta": meta(d.updated_at, d.version),
        "identifier": identifiers,
        "status": DEVICE_STATUS.get(d.status, "unknown"),
        "manufacturer": d.manufacturer,
        "deviceName": [{"name": d.model_name, "type": "model-name"}],
        "serialNumber": d.serial_number,
        "type": concept(codes.CS_DEVICE_KIND, d.kind, str(d.get_kind_display())),
        "owner": ref("Organization", d.clinic_id),
        "note": [{"text": f"Risk class {lic.device_class}; licence {lic.name}".strip()}]
        if lic is not None and lic.name else [],
    })
