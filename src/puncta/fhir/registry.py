"""What the FHIR facade serves: per resource type, the clinic-scoped querysets it reads
(with their ``select_related``), the builder, the search parameters, sort keys and the
permission (``accounts.roles``) a token's role needs. The CapabilityStatement, search,
read, ``$everything`` and the bulk export are all driven by this one table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from puncta.accounts.models import Membership
from puncta.audit.models import AuditEvent
from puncta.charting.models import AdverseEvent, Chart
from puncta.clinics.models import Clinic, Location, Room
from puncta.consent.models import Consent
from puncta.devices.models import Device
from puncta.outcomes.models import Assessment, Photo
from puncta.patients.models import IntakeResponse, Patient, PatientNameKey, fold
from puncta.plans.models import TreatmentPlan
from puncta.scheduling.models import Appointment

from . import codes
from .builders import Ctx, Json, care, outcomes, people
from .params import NOTHING, Parser, contains, custom, date, reference, token

Builder = Callable[[Any, Ctx], Json]


@dataclass(frozen=True)
class Source:
    """One table behind a resource type (Location and DocumentReference have two)."""

    queryset: Callable[[int], QuerySet[Any]]
    build: Builder
    params: Mapping[str, Parser] = field(default_factory=dict)
    sorts: Mapping[str, str] = field(default_factory=lambda: {"_id": "pk"})
    since: str | None = None  # the "last changed" field, for _lastUpdated and _since
    patient: str | None = None  # attribute holding the patient id (compartment, audit)
    prefix: str = ""  # FHIR id = prefix + primary key
    # The builder reads attributes only (no model methods): the export may hand it a
    # ``rows.Row`` from ``.values()`` instead of a model instance (see rows.py).
    plain: bool = False
    fields: tuple[str, ...] = ()  # the ``.values()`` paths the builder reads (default: all)

    def all_params(self) -> dict[str, Parser]:
        out = dict(self.params)
        if self.since:
            out["_lastUpdated"] = date(self.since, is_datetime=True)
        if self.patient and self.patient != "pk":
            out.setdefault("patient", reference(self.patient, "Patient"))
            out.setdefault("subject", reference(self.patient, "Patient"))
        return out


@dataclass(frozen=True)
class Spec:
    type: str
    perm: str
    sources: tuple[Source, ...]
    includes: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # -> (type, attr)
    in_compartment: bool = True  # part of Patient/$everything and patient-level export
    # Paging stops at the newest row of the first page: reading the audit log writes to
    # it, so without a bound a client paging forward would never reach the end.
    snapshot: bool = False

    @property
    def search_params(self) -> list[str]:
        names = set.intersection(*(set(s.all_params()) for s in self.sources))
        return sorted(names | {"_id"})

    @property
    def sort_keys(self) -> list[str]:
        return sorted(set.intersection(*(set(s.sorts) for s in self.sources)))

    def source_for(self, rid: str) -> tuple[Source, int] | None:
        """The source and primary key a FHIR id names, or None."""
        for src in self.sources:
            if src.prefix and not rid.startswith(src.prefix):
                continue
            rest = rid[len(src.prefix):]
            if rest.isdigit() and len(rest) < 19:
                return src, int(rest)
        return None


# --- scoped querysets ---------------------------------------------------------------------

def _patients(c: int) -> QuerySet[Any]:
    return Patient.objects.filter(clinic_id=c).only(
        "id", "clinic_id", "mrn", "given_name", "family_name", "date_of_birth", "sex_at_birth",
        "email", "phone", "preferred_language", "updated_at", "version")


def _members(c: int) -> QuerySet[Any]:
    return Membership.objects.filter(clinic_id=c).select_related("user")


def _consents(c: int) -> QuerySet[Any]:
    return (Consent.objects.filter(patient__clinic_id=c).select_related("template")
            .defer("rendered_text", "signature_svg", "signature_strokes", "template__body"))


def _intakes(c: int) -> QuerySet[Any]:
    return (IntakeResponse.objects.filter(patient__clinic_id=c).select_related("questionnaire")
            .defer("questionnaire__definition"))


def _plans(c: int) -> QuerySet[Any]:
    return TreatmentPlan.objects.filter(patient__clinic_id=c).prefetch_related("zones")


def _charts(c: int) -> QuerySet[Any]:
    return (Chart.objects.filter(clinic_id=c).exclude(status="draft")
            .select_related("lot__product", "appointment")
            .prefetch_related("adverse_events")
            .defer("signed_content", "findings", "input_errors", "aftercare"))


def _aftercare(c: int) -> QuerySet[Any]:
    return (Chart.objects.filter(clinic_id=c, aftercare__isnull=False).exclude(status="draft")
            .only("id", "clinic_id", "patient_id", "on", "signed_at", "aftercare"))


def _member_id(user_field: str) -> Subquery:
    """The PractitionerRole (membership) id of the user who recorded a row, in its clinic."""
    return Subquery(Membership.objects.filter(user_id=OuterRef(user_field),
                                              clinic_id=OuterRef("clinic_id")).values("pk")[:1])


def _assessments(c: int) -> QuerySet[Any]:
    return Assessment.objects.filter(clinic_id=c).annotate(
        recorder_role_id=_member_id("recorded_by_id"))


def _photos(c: int) -> QuerySet[Any]:
    # The storage keys are no business of a FHIR client: not even read.
    return (Photo.objects.filter(clinic_id=c).defer("key", "medium_key", "thumb_key")
            .annotate(creator_role_id=_member_id("created_by_id")))


# What each plain builder reads (tests/fhir/test_export.py checks a Row built from these
# gives the same resource as the model instance): fewer columns, fewer JSON documents and
# timestamps decoded per row.
CONSENT_FIELDS = ("patient_id", "signed_at", "withdrawn_at", "signer_name",
                  "signer_relationship", "template__id", "template__clinic_id",
                  "template__title", "template__version", "template__language",
                  "template__procedure")
INTAKE_FIELDS = ("patient_id", "answers", "status", "version", "submitted_at",
                 "submitted_by_patient", "updated_at", "questionnaire__version")
PLAN_FIELDS = ("patient_id", "series_id", "version", "superseded_at", "status",
               "indication", "severity", "start", "goals", "course", "verdict",
               "rules_version", "created_at")
APPOINTMENT_FIELDS = ("patient_id", "plan_id", "session_number", "kind", "status",
                      "practitioner_id", "supervisor_id", "room_id", "device_id", "start",
                      "end", "version", "created_at", "updated_at")
CHART_FIELDS = ("clinic_id", "patient_id", "appointment_id", "plan_id", "indication", "on",
                "practitioner_id", "supervisor_id", "device_id", "lot_id", "content",
                "verdict", "version", "updated_at", "sha256", "lot__lot_number",
                "lot__expiry", "lot__product__manufacturer", "lot__product__name",
                "appointment__location_id")
AUDIT_FIELDS = ("at", "actor_id", "actor_label", "role", "clinic_id", "patient_id",
                "object_type", "object_id", "action", "ip", "hash")


# --- search parameters --------------------------------------------------------------------

def _patient_identifier(v: str, clinic: Any) -> Q:
    system, bar, value = v.rpartition("|")
    if bar and system and system != codes.mrn_system(clinic.pk):
        return NOTHING
    return Q(mrn=value.strip().upper())


def _patient_name(v: str, clinic: Any) -> Q:
    # Any part of the name starts with the value, accents and case ignored: a prefix of
    # one of the patient's name keys (an index range, not a scan of the clinic).
    key = " ".join(fold(v).split())
    if not key:
        return Q()
    return Q(pk__in=PatientNameKey.objects.filter(clinic_id=clinic.pk, key__startswith=key)
             .values("patient_id"))


def _device_identifier(v: str, clinic: Any) -> Q:
    value = v.rpartition("|")[2]
    return Q(serial_number=value) | Q(licence__number=value)


APPT_STATUS = {"booked": ["booked"], "fulfilled": ["completed"], "noshow": ["missed"],
               "cancelled": ["cancelled"]}


def _plan_status(v: str, clinic: Any) -> Q:
    current = Q(superseded_at__isnull=True)
    return {"active": current & Q(status="active"), "completed": current & Q(status="completed"),
            "revoked": Q(superseded_at__isnull=False) | Q(status="cancelled")}.get(v, NOTHING)


def _consent_status(v: str, clinic: Any) -> Q:
    return {"active": Q(withdrawn_at__isnull=True),
            "inactive": Q(withdrawn_at__isnull=False)}.get(v, NOTHING)


def _always(values: tuple[str, ...]) -> Parser:
    return custom(lambda v, clinic: Q() if v in values else NOTHING)


def _scale_code(v: str, clinic: Any) -> Q:
    system, bar, code = v.rpartition("|")
    if bar and system and system != codes.CS_SCALE:
        return NOTHING
    return Q(scale=code)


def _photo_view(v: str, clinic: Any) -> Q:
    system, bar, code = v.rpartition("|")
    if bar and system and system != codes.CS_PHOTO_VIEW:
        return NOTHING
    return Q(view=code)


def _practitioner_name(v: str, clinic: Any) -> Q:
    return Q(user__first_name__icontains=v) | Q(user__last_name__icontains=v)


# --- the table ------------------------------------------------------------------------------

SPECS: dict[str, Spec] = {s.type: s for s in [
    Spec("Patient", "patient.view", (Source(
        _patients, people.patient, plain=True, patient="pk", since="updated_at",
        params={"identifier": custom(_patient_identifier), "name": custom(_patient_name),
                "family": contains("family_name"), "given": contains("given_name"),
                "birthdate": date("date_of_birth", is_datetime=False),
                "gender": token("sex_at_birth", {"female": ["female"], "male": ["male"],
                                                 "other": ["intersex"],
                                                 "unknown": ["unknown"]})},
        sorts={"_id": "pk", "birthdate": "date_of_birth", "family": "family_name",
               "name": "family_name", "_lastUpdated": "updated_at"}),)),
    Spec("Practitioner", "patient.view", (Source(
        _members, people.practitioner, since="created_at",
        params={"name": custom(_practitioner_name),
                "identifier": token("registration_number"),
                "active": token("is_active", {"true": [True], "false": [False]})}),),
        in_compartment=False),
    Spec("PractitionerRole", "patient.view", (Source(
        _members, people.practitioner_role, since="created_at",
        params={"practitioner": reference("pk", "Practitioner"),
                "role": token("role"),
                "active": token("is_active", {"true": [True], "false": [False]})}),),
        in_compartment=False),
    Spec("Organization", "patient.view", (Source(
        lambda c: Clinic.objects.filter(pk=c), people.organization, since="created_at",
        params={"name": contains("name", "legal_name")}),), in_compartment=False),
    Spec("Location", "patient.view", (
        Source(lambda c: Location.objects.filter(clinic_id=c), people.site, prefix="site-",
               params={"name": contains("name")}),
        Source(lambda c: Room.objects.filter(location__clinic_id=c).select_related("location"),
               people.room, prefix="room-",
               params={"name": contains("name"),
                       "partof": reference("location_id", "Location", prefix="site-")}),
    ), in_compartment=False),
    Spec("Device", "device.view", (Source(
        lambda c: Device.objects.filter(clinic_id=c).select_related("licence"), people.device,
        since="updated_at",
        params={"identifier": custom(_device_identifier),
                "status": token("status", {"active": ["in_service"],
                                           "inactive": ["out_of_service", "retired"]}),
                "manufacturer": contains("manufacturer"),
                "device-name": contains("model_name")},
        sorts={"_id": "pk", "_lastUpdated": "updated_at"}),), in_compartment=False),
    Spec("Consent", "patient.view", (Source(
        _consents, care.consent, plain=True, fields=CONSENT_FIELDS, patient="patient_id",
        since="signed_at",
        params={"status": custom(_consent_status), "date": date("signed_at", is_datetime=True)},
        sorts={"_id": "pk", "date": "signed_at"}),)),
    Spec("QuestionnaireResponse", "intake.answers", (Source(
        _intakes, care.questionnaire_response, plain=True,
        fields=INTAKE_FIELDS, patient="patient_id", since="updated_at",
        params={"status": token("status", {"completed": ["submitted"],
                                           "in-progress": ["draft"]}),
                "authored": date("submitted_at", is_datetime=True)},
        sorts={"_id": "pk", "_lastUpdated": "updated_at"}),)),
    Spec("CarePlan", "plan.view", (Source(
        _plans, care.care_plan, plain=True, fields=PLAN_FIELDS, patient="patient_id",
        since="created_at",
        params={"status": custom(_plan_status), "date": date("start", is_datetime=False)},
        sorts={"_id": "pk", "date": "start"}),)),
    Spec("Appointment", "appointment.view", (Source(
        lambda c: Appointment.objects.filter(clinic_id=c), care.appointment, plain=True,
        fields=APPOINTMENT_FIELDS,
        patient="patient_id", since="updated_at",
        params={"status": token("status", APPT_STATUS),
                "date": date("start", is_datetime=True),
                "practitioner": reference("practitioner_id", "PractitionerRole", "Practitioner"),
                "actor": reference("patient_id", "Patient")},
        sorts={"_id": "pk", "date": "start", "_lastUpdated": "updated_at"}),),
        includes={"Appointment:patient": ("Patient", "patient_id")}),
    Spec("Procedure", "chart.view", (Source(
        _charts, care.procedure, plain=True, fields=CHART_FIELDS, patient="patient_id",
        since="updated_at",
        params={"status": _always(("completed",)), "date": date("on", is_datetime=False),
                "performer": reference("practitioner_id", "PractitionerRole", "Practitioner")},
        sorts={"_id": "pk", "date": "on", "_lastUpdated": "updated_at"}),),
        includes={"Procedure:device": ("Device", "device_id"),
                  "Procedure:patient": ("Patient", "patient_id")}),
    Spec("AdverseEvent", "chart.view", (Source(
        lambda c: AdverseEvent.objects.filter(clinic_id=c), care.adverse_event, plain=True,
        patient="patient_id", since="updated_at",
        params={"date": date("occurred_on", is_datetime=False),
                "severity": token("severity"), "event": token("kind")},
        sorts={"_id": "pk", "date": "occurred_on"}),)),
    Spec("DocumentReference", "chart.view", (
        Source(_consents, care.consent_document, plain=True,
               fields=CONSENT_FIELDS, patient="patient_id", since="signed_at",
               prefix="consent-",
               params={"date": date("signed_at", is_datetime=True),
                       "status": _always(("current",))}),
        Source(_aftercare, care.aftercare_document, plain=True, patient="patient_id",
               since="signed_at",
               prefix="aftercare-",
               params={"date": date("signed_at", is_datetime=True),
                       "status": _always(("current",))}),
    )),
    Spec("Observation", "outcome.view", (Source(
        _assessments, outcomes.observation, plain=True, patient="patient_id", since="created_at",
        params={"code": custom(_scale_code), "date": date("on", is_datetime=False),
                "status": _always(("final",)), "category": _always(("survey",)),
                "based-on": reference("plan_id", "CarePlan"),
                "part-of": reference("chart_id", "Procedure")},
        sorts={"_id": "pk", "date": "on", "_lastUpdated": "created_at"}),)),
    Spec("Media", "photo.view", (Source(
        _photos, outcomes.media, plain=True, patient="patient_id", since="created_at",
        params={"created": date("taken_on", is_datetime=False),
                "date": date("taken_on", is_datetime=False),
                "view": custom(_photo_view), "status": _always(("completed",)),
                "based-on": reference("plan_id", "CarePlan")},
        sorts={"_id": "pk", "date": "taken_on", "created": "taken_on",
               "_lastUpdated": "created_at"}),)),
    Spec("AuditEvent", "audit.view", (Source(
        lambda c: AuditEvent.objects.filter(clinic_id=c), care.audit_event, plain=True,
        fields=AUDIT_FIELDS,
        patient="patient_id", since="at",
        params={"date": date("at", is_datetime=True),
                "action": token("action", {"C": ["create"], "R": ["read"], "U": ["update"],
                                           "D": ["delete"],
                                           "E": ["list", "export", "login", "login_failed",
                                                 "logout"]}),
                "subtype": token("action")},
        sorts={"_id": "pk", "date": "at"}),), in_compartment=False, snapshot=True),
]}
