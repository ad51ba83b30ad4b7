"""Patient stages: each builds one step of every patient's history for a batch, with
bulk inserts and the audit events a clinic would have recorded at the time."""

from __future__ import annotations

import datetime as dt
import random

from puncta.accounts.roles import Role
from puncta.audit.models import Action
from puncta.consent.models import Consent, Method
from puncta.consent.services import document_sha256, render_document
from puncta.patients.intake.services import decision_sha256
from puncta.patients.models import (
    IntakeResponse,
    IntakeStatus,
    Patient,
    PatientNameKey,
    ReviewDecision,
    Screening,
    ScreeningResult,
    digits,
    name_keys,
    search_name_of,
)

from . import fastdb
from .auditlog import Who
from .base import Batch, Context, PatientRow, Staff, at_time
from .care import CareStage
from .people import (
    CONCERNS,
    PHOTOTYPES,
    SEX,
    answers_for,
    ascii_name,
)

PATIENT_FIELDS = sorted(["given_name", "family_name", "date_of_birth", "sex_at_birth",
                         "email", "phone", "preferred_language", "phototype", "skin_thin",
                         "skin_sensitive", "concerns"])
AREA_CODES = {"CA-ON": ["416", "647", "613", "905"], "CA-QC": ["514", "438", "418", "819"],
              "CA-BC": ["604", "778", "250"], "CA-AB": ["403", "587", "780"],
              "CA-NB": ["506"], "CA-NS": ["902", "782"]}
INTAKE_LINK = "patient (intake link)"


def _pick(rng: random.Random, staff: list[Staff]) -> Staff:
    return staff[rng.randrange(len(staff))]


class PatientsStage:
    """The patient records: names, demographics, skin, concerns; created over the years
    in MRN order."""

    name = "patients"

    def run(self, ctx: Context, batch: Batch) -> None:
        cfg, net = ctx.cfg, batch.net
        rng = ctx.stream(net, self.name)
        pools = ctx.pools
        span = 365 * cfg.years
        first_day = cfg.today - dt.timedelta(days=span)
        areas = AREA_CODES.get(net.clinic.jurisdiction, ["555"])
        desk = net.role(Role.FRONT_DESK)
        clinicians = net.role(Role.REGISTERED_NURSE, Role.MEDICAL_AESTHETICIAN)
        patients = []
        for i in range(batch.start, batch.start + batch.size):
            day = first_day + dt.timedelta(days=int((i + rng.random()) / net.patients * span))
            created = at_time(day, rng)
            lang = "fr" if rng.random() < net.french_share else "en"
            sex = rng.choice(SEX)
            pool = (ctx.pools.male if sex == "male" else pools.female)[lang]
            given = pool[rng.randrange(len(pool))]
            family_pool = pools.family[lang]
            family = family_pool[rng.randrange(len(family_pool))]
            age = min(80, max(18, int(rng.triangular(18, 75, 36))))
            born = day - dt.timedelta(days=age * 365 + rng.randint(0, 364))
            phone = (f"{rng.choice(areas)}-555-{rng.randint(0, 9999):04d}"
                     if rng.random() < 0.96 else "")
            email = (f"{ascii_name(given)}.{ascii_name(family)}{rng.randint(1, 99)}"
                     f"@example.com" if rng.random() < 0.85 else "")
            concerns = sorted(set(rng.choices(CONCERNS, k=rng.randint(1, 3))))
            p = Patient(
                clinic=net.clinic, mrn=f"P{i + 1:06d}", given_name=given, family_name=family,
                date_of_birth=born, sex_at_birth=sex, email=email, phone=phone,
                preferred_language=lang,
                phototype=rng.choice(PHOTOTYPES) if rng.random() < 0.8 else None,
                skin_thin=rng.random() < 0.08, skin_sensitive=rng.random() < 0.2,
                concerns=concerns, search_name=search_name_of(given, family),
                phone_digits=digits(phone), created_at=created, updated_at=created,
            )
            patients.append(p)
            batch.rows.append(PatientRow(p, created, language=lang))
        fastdb.insert(Patient, patients)
        fastdb.insert_rows(PatientNameKey, ("patient_id", "clinic_id", "key"), [
            (p.pk, p.clinic_id, k) for p in patients for k in name_keys(p.search_name)])
        ctx.created(Patient, len(patients))
        rng = ctx.stream(net, "patients.audit")  # one stream per pass: batch-size free
        for row in batch.rows:
            staff = _pick(rng, desk if rng.random() < 0.7 else clinicians)
            ctx.audit.add(row.created_at, staff.who(), Action.CREATE, "patients.patient",
                          row.patient.pk, patient_id=row.patient.pk,
                          data={"fields": PATIENT_FIELDS})


class IntakeScreeningStage:
    """Intake questionnaires (first visit, then some returning patients update theirs)
    and the rules engine's screening of each, superseding the previous one; physicians
    decide on those that need review, except the last few days' (the review queue)."""

    name = "intake"
    queue_days = 10

    def run(self, ctx: Context, batch: Batch) -> None:
        cfg, net = ctx.cfg, batch.net
        rng = ctx.stream(net, self.name)
        clinic = net.clinic
        desk = net.role(Role.FRONT_DESK, Role.REGISTERED_NURSE, Role.MEDICAL_AESTHETICIAN)
        physicians = net.role(Role.PHYSICIAN)
        link_who = Who(None, INTAKE_LINK, "", clinic.pk)
        intakes: list[tuple[PatientRow, IntakeResponse, Who]] = []
        for row in batch.rows:
            p = row.patient
            draw = rng.random()
            if draw < 0.04:
                continue  # never came back after registration
            day = row.created_at.date() + dt.timedelta(days=rng.randint(0, 3))
            if day > cfg.today:
                continue
            answers = None
            rounds = 0
            while day <= cfg.today and rounds < 4:
                if answers is None or rng.random() < 0.25:
                    answers = answers_for(
                        rng, sex=p.sex_at_birth, born=p.date_of_birth, on=day,
                        concerns=p.concerns, phototype=p.phototype, thin=p.skin_thin,
                        sensitive=p.skin_sensitive, lang=row.language)
                started = at_time(day, rng)
                by_patient = rng.random() < 0.7
                who = link_who if by_patient else _pick(rng, desk).who()
                draft = rounds == 0 and draw < 0.07
                submitted = started + dt.timedelta(minutes=rng.randint(4, 40))
                intake = IntakeResponse(
                    patient=p, questionnaire=ctx.questionnaire,
                    answers=dict(answers) if not draft else {
                        k: v for k, v in answers.items() if not k.startswith(("cond.", "med."))},
                    status=IntakeStatus.DRAFT if draft else IntakeStatus.SUBMITTED,
                    version=rng.randint(2, 6), submitted_at=None if draft else submitted,
                    submitted_by_patient=by_patient and not draft, created_at=started,
                    updated_at=started if draft else submitted,
                )
                intakes.append((row, intake, who))
                row.intakes.append(intake)
                if draft:
                    break
                rounds += 1
                if rng.random() >= 0.45:
                    break
                day = day + dt.timedelta(days=rng.randint(60, 420))
        fastdb.insert(IntakeResponse, [i for _, i, _ in intakes])
        ctx.created(IntakeResponse, len(intakes))

        screenings: list[tuple[PatientRow, Screening, Who]] = []
        for row, intake, who in intakes:
            ctx.audit.add(intake.created_at, who, Action.CREATE, "patients.intakeresponse",
                          intake.pk, patient_id=row.patient.pk)
            if intake.status == IntakeStatus.DRAFT:
                continue
            ctx.audit.add(intake.submitted_at, who, Action.UPDATE, "patients.intakeresponse",
                          intake.pk, patient_id=row.patient.pk,
                          data={"submitted": True, "by_patient": intake.submitted_by_patient})
            on = intake.submitted_at.date()
            verdict = ctx.screener.screen(
                birth_date=row.patient.date_of_birth, phototype=row.patient.phototype,
                answers=intake.answers, on=on, clinic=clinic)
            s = Screening(
                patient=row.patient, intake=intake, intake_version=intake.version,
                result=verdict.result, findings=verdict.findings,
                rules_version=verdict.rules_version, screened_on=on,
                screened_at=intake.submitted_at,
                valid_until=on + dt.timedelta(days=clinic.screening_valid_days),
            )
            if row.screenings:
                row.screenings[-1].superseded_at = s.screened_at
            row.screenings.append(s)
            screenings.append((row, s, who))
        decided = []
        rng = ctx.stream(net, "intake.review")
        for _row, s, _ in screenings:
            if s.result != ScreeningResult.REVIEW:
                continue
            at = s.screened_at + dt.timedelta(hours=rng.randint(3, 120))
            if (cfg.today - at.date()).days < self.queue_days:
                continue
            if s.superseded_at is not None and at >= s.superseded_at:
                continue
            approve = rng.random() < 0.8
            s.decision = ReviewDecision.APPROVED if approve else ReviewDecision.DECLINED
            s.decision_note = ("Benefits outweigh the risks; discussed with the patient."
                               if approve else "Risk too high at this time.")
            s.decision_conditions = ("Antiviral prophylaxis; avoid affected areas."
                                     if approve and rng.random() < 0.6 else "")
            doctor = _pick(rng, physicians)
            s.decided_by_id = doctor.user_id
            s.decided_at = at
            decided.append((s, doctor))
        fastdb.assign_ids(Screening, [s for _, s, _ in screenings])
        ctx.created(Screening, len(screenings))
        for row, s, who in screenings:
            ctx.audit.add(s.screened_at, who, Action.CREATE, "patients.screening", s.pk,
                          patient_id=row.patient.pk,
                          data={"result": s.result, "codes": [f["code"] for f in s.findings],
                                "rules_version": s.rules_version})
        for s, doctor in decided:
            s.decision_sha256 = decision_sha256(s)  # as screening_review signs it
            ctx.audit.add(s.decided_at, doctor.who(), Action.UPDATE, "patients.screening",
                          s.pk, patient_id=s.patient_id, reason=s.decision_note,
                          data={"decision": s.decision, "conditions": s.decision_conditions,
                                "restrictions": s.restrictions_data,
                                "sha256": s.decision_sha256})
        fastdb.insert(Screening, [s for _, s, _ in screenings])
        for row in batch.rows:
            if row.screenings:
                ctx.results[row.screenings[-1].result] += 1
                if row.screenings[-1].result == ScreeningResult.REVIEW and \
                        not row.screenings[-1].decision:
                    ctx.results["awaiting_review"] += 1
            else:
                ctx.results["not_screened"] += 1


def treatable(s: Screening) -> bool:
    return s.result == ScreeningResult.CLEAR or (
        s.result == ScreeningResult.REVIEW and s.decision == ReviewDecision.APPROVED)


class ConsentStage:
    """Signed consents (microneedling, and usually photography and numbing cream) in the
    patient's language, at the first visit after a screening that allows treatment."""

    name = "consent"
    procedures = (("microneedling", 0.97), ("photography", 0.8), ("numbing", 0.55))

    def run(self, ctx: Context, batch: Batch) -> None:
        cfg, net = ctx.cfg, batch.net
        rng = ctx.stream(net, self.name)
        witnesses = net.role(Role.FRONT_DESK, Role.REGISTERED_NURSE,
                             Role.MEDICAL_AESTHETICIAN, Role.NURSE_PRACTITIONER)
        consents: list[tuple[Consent, Staff]] = []
        signatures = ctx.pools.signatures
        for row in batch.rows:
            allowed = next((s for s in row.screenings if treatable(s)), None)
            if allowed is None:
                continue
            start = (allowed.decided_at or allowed.screened_at).date()
            day = start + dt.timedelta(days=rng.randint(0, 21))
            if day > cfg.today:
                continue
            at = at_time(day, rng)
            witness = _pick(rng, witnesses)
            ctx.audit.add(at - dt.timedelta(minutes=2), witness.who(), Action.READ,
                          "patients.patient", row.patient.pk, patient_id=row.patient.pk)
            for procedure, rate in self.procedures:
                if rng.random() >= rate:
                    continue
                template = net.templates[(procedure, row.language)]
                text = render_document(template, row.patient)
                strokes, svg = signatures[rng.randrange(len(signatures))]
                c = Consent(
                    patient=row.patient, template=template, method=Method.DRAWN,
                    signer_name=row.patient.full_name, witness_id=witness.user_id,
                    signed_at=at, rendered_text=text,
                    document_sha256=document_sha256(text),
                    signature_svg=svg, signature_strokes=strokes,
                )
                withdrawn = at + dt.timedelta(days=rng.randint(1, 200))
                if (procedure == "photography" and rng.random() < 0.03
                        and withdrawn.date() < cfg.today):
                    c.withdrawn_at = withdrawn
                    c.withdrawn_reason = "Patient no longer wants photographs taken."
                    c.withdrawn_by_id = witness.user_id
                consents.append((c, witness))
                row.consents.append(c)
        fastdb.insert(Consent, [c for c, _ in consents])
        ctx.created(Consent, len(consents))
        for c, witness in consents:
            ctx.audit.add(c.signed_at, witness.who(), Action.CREATE, "consent.consent", c.pk,
                          patient_id=c.patient_id,
                          data={"template": c.template_id, "version": c.template.version,
                                "method": c.method, "sha256": c.document_sha256})
            if c.withdrawn_at is not None:
                ctx.audit.add(c.withdrawn_at, witness.who(), Action.UPDATE, "consent.consent",
                              c.pk, patient_id=c.patient_id, reason=c.withdrawn_reason,
                              data={"withdrawn": True})


# The order a patient's history is built in: records, intake and screening, consents,
# then care (plans, appointment series with reminders, signed charts: ``care.CareStage``).
PATIENT_STAGES = (PatientsStage(), IntakeScreeningStage(), ConsentStage(), CareStage())
