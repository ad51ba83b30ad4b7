"""Publishing consent versions, signing, recording paper consents and withdrawing."""

from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from puncta import rules
from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.clinics import clock
from puncta.clinics.errors import DomainError
from puncta.clinics.models import Clinic
from puncta.patients.models import Patient

from .defaults import defaults
from .models import Consent, ConsentTemplate, Method
from .signature import parse_strokes, to_svg

SCAN_TYPES = {"application/pdf", "image/png", "image/jpeg"}
SCAN_MAX_BYTES = 10 * 1024 * 1024


class ConsentError(DomainError):
    def __init__(self, field: str, message: str, *, code: str = "") -> None:
        super().__init__(message, field=field, code=code or f"consent.{field}")


def templates_ensure(clinic: Clinic) -> None:
    """Give a clinic the default first version of each document it does not have yet."""
    have = set(ConsentTemplate.objects.filter(clinic=clinic)
               .values_list("procedure", "language"))
    missing = [(p, lang) for (p, lang) in defaults() if (p, lang) not in have]
    if missing:
        ConsentTemplate.objects.bulk_create([
            ConsentTemplate(clinic=clinic, procedure=p, language=lang, version=1,
                            title=defaults()[(p, lang)][0], body=defaults()[(p, lang)][1])
            for p, lang in missing
        ])


def template_publish(*, actor: Actor, clinic: Clinic, procedure: str, language: str,
                     title: str, body: str) -> ConsentTemplate:
    """A new version; everyone who signed an older one must consent again."""
    if not title.strip() or not body.strip():
        raise ConsentError("body", _("A consent document needs a title and a text."))
    with transaction.atomic():
        latest = (ConsentTemplate.objects.select_for_update()
                  .filter(clinic=clinic, procedure=procedure, language=language)
                  .aggregate(v=Max("version"))["v"]) or 0
        template = ConsentTemplate.objects.create(
            clinic=clinic, procedure=procedure, language=language, version=latest + 1,
            title=title.strip(), body=body.strip(), published_by=actor.user)
        record(actor, Action.CREATE, template, data={"version": template.version})
    return template


def render_document(template: ConsentTemplate, patient: Patient) -> str:
    """The exact text shown to and signed by the patient."""
    body = template.body.format_map(_Safe(
        patient_name=patient.full_name, date_of_birth=patient.date_of_birth.isoformat(),
        clinic_name=template.clinic.name))
    return f"{template.title}\n{'=' * len(template.title)}\n{body}\n\n" \
           f"[{template.get_procedure_display()} — v{template.version} — {template.language}]"


class _Safe(dict[str, str]):
    def __missing__(self, key: str) -> str:  # unknown placeholders stay as written
        return "{" + key + "}"


def document_sha256(text: str) -> str:
    """The fingerprint of the document as the patient saw it (one definition: the
    synthetic seed stores it too)."""
    return hashlib.sha256(text.encode()).hexdigest()


def _check_current(template: ConsentTemplate) -> None:
    newest = ConsentTemplate.objects.filter(
        clinic_id=template.clinic_id, procedure=template.procedure, language=template.language
    ).aggregate(v=Max("version"))["v"]
    if template.version != newest:
        raise ConsentError("template", _("This version was replaced by version %(v)s: "
                                         "reload the page and sign the current one.")
                           % {"v": newest})


def consent_sign(*, actor: Actor, patient: Patient, template: ConsentTemplate,
                 strokes_json: str, signer_name: str, relationship: str = "",
                 understood: bool) -> Consent:
    if not understood:
        raise ConsentError("understood", _("The signer must confirm they read and understood."))
    if not signer_name.strip():
        raise ConsentError("signer_name", _("Enter the name of the person signing."))
    try:
        strokes = parse_strokes(strokes_json)
    except ValueError:
        raise ConsentError("signature", _("Please sign in the box.")) from None
    return _store(actor, patient, template, Method.DRAWN, signer_name, relationship,
                  signature_svg=to_svg(strokes),
                  signature_strokes=[[list(p) for p in s] for s in strokes])


def consent_record_paper(*, actor: Actor, patient: Patient, template: ConsentTemplate,
                         scan: UploadedFile | None, signer_name: str,
                         relationship: str = "") -> Consent:
    if scan is None:
        raise ConsentError("scan", _("Attach the scanned, signed consent (PDF, PNG or JPEG)."))
    if scan.content_type not in SCAN_TYPES or scan.size is None or scan.size > SCAN_MAX_BYTES:
        raise ConsentError("scan", _("The scan must be a PDF, PNG or JPEG file under 10 MB."))
    head = scan.read(8)
    scan.seek(0)
    if not (head.startswith(b"%PDF") or head.startswith(b"\x89PNG")
            or head.startswith(b"\xff\xd8")):
        raise ConsentError("scan", _("The scan must be a PDF, PNG or JPEG file under 10 MB."))
    if not signer_name.strip():
        raise ConsentError("signer_name", _("Enter the name of the person signing."))
    return _store(actor, patient, template, Method.PAPER, signer_name, relationship,
                  paper_scan=scan)


def guardian_required(patient: Patient) -> bool:
    """Is the patient, today at the clinic, under the jurisdiction's age of consent?"""
    clinic = patient.clinic
    return rules.guardian_required(patient.date_of_birth, clock.today(clinic),
                                   clinic.jurisdiction)


def _check_signer(patient: Patient, relationship: str) -> str:
    """Who may sign: the patient of age themselves, or for a minor a parent or guardian of
    a kind the jurisdiction accepts (the rules' data, per jurisdiction)."""
    relationship = relationship.strip()
    if relationship:
        try:
            return rules.guardian_role(patient.clinic.jurisdiction, relationship).code
        except rules.RulesInputError:
            raise ConsentError("relationship", _(
                "Choose the signer's relationship to the patient from the list.")) from None
    if guardian_required(patient):
        age = rules.consent_age(patient.clinic.jurisdiction).age
        raise ConsentError("relationship", _(
            "The patient is under %(age)s, the age of consent here: a parent or guardian "
            "signs, and their relationship to the patient is recorded.") % {"age": age})
    return ""


def _store(actor: Actor, patient: Patient, template: ConsentTemplate, method: str,
           signer_name: str, relationship: str, **extra: object) -> Consent:
    if template.clinic_id != patient.clinic_id:
        raise ConsentError("template", _("This consent document belongs to another clinic."))
    relationship = _check_signer(patient, relationship)
    with transaction.atomic():
        _check_current(template)
        text = render_document(template, patient)
        consent = Consent(
            patient=patient, template=template, method=method,
            signer_name=signer_name.strip()[:200],
            signer_relationship=relationship.strip()[:100], witness=actor.user,
            signed_at=timezone.now(), rendered_text=text,
            document_sha256=document_sha256(text), **extra,
        )
        consent.save()
        record(actor, Action.CREATE, consent, patient_id=patient.pk,
               data={"template": template.pk, "version": template.version,
                     "method": method, "sha256": consent.document_sha256})
    return consent


def consent_withdraw(*, actor: Actor, consent: Consent, reason: str) -> Consent:
    if not reason.strip():
        raise ConsentError("reason", _("Give the reason for the withdrawal."))
    with transaction.atomic():
        current = Consent.objects.select_for_update().get(pk=consent.pk)
        if current.withdrawn_at:
            raise ConsentError("reason", _("This consent was already withdrawn."))
        current.withdrawn_at = timezone.now()
        current.withdrawn_reason = reason.strip()[:2000]
        current.withdrawn_by = actor.user
        current.save(update_fields=["withdrawn_at", "withdrawn_reason", "withdrawn_by"])
        record(actor, Action.UPDATE, current, patient_id=current.patient_id,
               reason=current.withdrawn_reason, data={"withdrawn": True})
    return current
