"""The CapabilityStatement: generated from the registry, so it lists exactly what works."""

from __future__ import annotations

from typing import Any

from puncta import __version__

from .registry import SPECS

SEARCH_TYPES = {"_id": "token", "_lastUpdated": "date", "identifier": "token",
                "name": "string", "family": "string", "given": "string",
                "birthdate": "date", "gender": "token", "date": "date", "authored": "date",
                "status": "token", "patient": "reference", "subject": "reference",
                "practitioner": "reference", "performer": "reference", "actor": "reference",
                "partof": "reference", "role": "token", "active": "token",
                "manufacturer": "string", "device-name": "string", "severity": "token",
                "event": "token", "action": "token", "subtype": "token", "code": "token",
                "category": "token", "based-on": "reference", "part-of": "reference",
                "created": "date", "view": "token"}


def capability_statement(base_url: str, date: str) -> dict[str, Any]:
    resources = []
    for spec in SPECS.values():
        entry: dict[str, Any] = {
            "type": spec.type,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": n, "type": SEARCH_TYPES.get(n, "token")}
                            for n in spec.search_params],
            "searchInclude": list(spec.includes),
            "documentation": f"Sort keys (_sort): {', '.join(spec.sort_keys)}.",
        }
        if spec.type == "Patient":
            entry["operation"] = [
                {"name": "everything",
                 "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
                {"name": "export",
                 "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/"
                               "patient-export"}]
        resources.append(entry)
    resources.append({
        "type": "Group",
        "documentation": "Group/{clinic id} is the clinic's patients; only $export.",
        "operation": [{"name": "export",
                       "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/"
                                     "group-export"}]})
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "Puncta",
        "kind": "instance",
        "software": {"name": "Puncta", "version": __version__},
        "implementation": {"description": "Puncta FHIR R4B facade", "url": base_url},
        "fhirVersion": "4.3.0",
        "format": ["application/fhir+json", "json"],
        "instantiates": ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
        "rest": [{
            "mode": "server",
            "documentation": "Bearer tokens (puncta token create); every resource is scoped "
                             "to the token's clinic, and every read is audited. Paging is "
                             "by keyset (_count up to 500).",
            "security": {"description": "Authorization: Bearer <token> (an API token; "
                                        "SMART on FHIR scopes are not offered yet)."},
            "resource": resources,
            "operation": [{"name": "export",
                           "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/"
                                         "export"}],
        }],
    }
