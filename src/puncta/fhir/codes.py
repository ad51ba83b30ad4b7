"""The URLs and codes Puncta publishes in its FHIR resources.

Puncta's own identifiers, code systems and extensions live under one base
(``PUNCTA_FHIR_BASE``), so a receiving system can tell them from anybody else's. The
SNOMED CT body-structure codes are given only for zones that map to one concept without
doubt; every other zone (and every side) is sent with Puncta's local zone code only.
"""

from __future__ import annotations

from django.conf import settings

BASE: str = getattr(settings, "PUNCTA_FHIR_BASE", "https://puncta.dev/fhir")

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
BCP47 = "urn:ietf:bcp:47"


def mrn_system(clinic_id: int) -> str:
    """An MRN is unique within its clinic, so the system names the clinic."""
    return f"{BASE}/sid/mrn/clinic-{clinic_id}"


SERIAL_SYSTEM = f"{BASE}/sid/device-serial"
LICENCE_SYSTEM = {
    "HC": "https://health-products.canada.ca/mdall-limh/licence",
    "FDA": "https://www.accessdata.fda.gov/scripts/cdrh/cfdocs/cfpmn",
}
LOT_SYSTEM = f"{BASE}/sid/cartridge-lot"
REGISTRATION_SYSTEM = f"{BASE}/sid/registration"

CS_ZONE = f"{BASE}/CodeSystem/zone"
CS_ROLE = f"{BASE}/CodeSystem/role"
CS_INDICATION = f"{BASE}/CodeSystem/indication"
CS_CONSENT = f"{BASE}/CodeSystem/consent-procedure"
CS_AE_KIND = f"{BASE}/CodeSystem/adverse-event-kind"
CS_PROCEDURE = f"{BASE}/CodeSystem/procedure"
CS_DOCUMENT = f"{BASE}/CodeSystem/document-kind"
CS_AUDIT_ACTION = f"{BASE}/CodeSystem/audit-action"
CS_DEVICE_KIND = f"{BASE}/CodeSystem/device-kind"

EXT_DEPTH = f"{BASE}/StructureDefinition/zone-depth"
EXT_PASSES = f"{BASE}/StructureDefinition/zone-passes"
EXT_ZONE = f"{BASE}/StructureDefinition/zone"
EXT_LOT = f"{BASE}/StructureDefinition/cartridge-lot"
EXT_SUPERVISOR = f"{BASE}/StructureDefinition/supervising-physician"
EXT_RULES = f"{BASE}/StructureDefinition/rules-verdict"
EXT_SESSION = f"{BASE}/StructureDefinition/course-session"

QUESTIONNAIRE_INTAKE = f"{BASE}/Questionnaire/intake"

# Zones with one SNOMED CT body structure beyond doubt. Left out on purpose: glabella,
# temple, periorbital, upper lip, perioral, jawline, decolletage, back (each either has
# no single concept or several near ones); those go with the local code alone.
ZONE_SNOMED: dict[str, tuple[str, str]] = {
    "forehead": ("52795006", "Forehead structure"),
    "nose": ("45206002", "Nasal structure"),
    "cheek": ("60819002", "Cheek structure"),
    "chin": ("30291003", "Chin structure"),
    "eyelid": ("80243003", "Eyelid structure"),
    "neck": ("45048000", "Neck structure"),
    "abdomen": ("113345001", "Abdominal structure"),
    "arm": ("53120007", "Upper limb structure"),
    "thigh": ("68367000", "Thigh structure"),
    "buttock": ("46862004", "Buttock structure"),
}
LATERALITY = {"left": ("7771000", "Left"), "right": ("24028007", "Right")}
# Microneedling of skin (percutaneous collagen induction) has no SNOMED CT concept this
# project could confirm; the procedure code is Puncta's own.
PROCEDURE_CODE = ("microneedling", "Microneedling (percutaneous collagen induction)")

# Outcomes: scale assessments (Observation) and photographs (Media).
CS_SCALE = f"{BASE}/CodeSystem/scale"
CS_SCALE_ITEM = f"{BASE}/CodeSystem/scale-item"
CS_PHOTO_VIEW = f"{BASE}/CodeSystem/photo-view"
EXT_TIMEPOINT = f"{BASE}/StructureDefinition/outcome-timepoint"
EXT_SCALES_VERSION = f"{BASE}/StructureDefinition/scales-version"
