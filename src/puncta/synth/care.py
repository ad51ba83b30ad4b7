"""Care history: treatment plans, appointment series, reminders, signed charts.

``CareStage`` runs after the consents. For a consented patient it writes a plan whose
course comes from ``rules.plan_course`` (indication from the patient's concerns, zones
with depths inside the rules' usual range), then books each session inside its window
(``rules.plan_course(..., done=...)``: counted from the previous session's actual date)
with a practitioner the rules allow (a supervising physician on the appointment where
they require one), a room and a pen of the clinic, free in the clinic's in-memory
calendar (``Desk``: no overlap per room, practitioner or device, as PostgreSQL's
exclusion constraints demand). Past sessions are completed (a few missed and rebooked),
future ones booked. Every completed session has a chart signed as ``chart_sign`` signs
it (the rules' verdict and findings, SHA-256 of the canonical document, a cartridge drawn
from a lot), co-signed where the rules ask; a few are amended, a few have an adverse
event. Reminders and check-ins are logged as the worker logs them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.utils import translation

from puncta import facts as records
from puncta import rules
from puncta.accounts.roles import Role
from puncta.audit.models import Action
from puncta.charting.checks import numbing_findings, session_findings
from puncta.charting.models import (
    AdverseEvent,
    AEPhase,
    AESeverity,
    AEStatus,
    Amendment,
    Chart,
    ChartStatus,
)
from puncta.charting.services import (
    aftercare_sheet,
    amendment_seal,
    seal,
    signed_document,
)
from puncta.devices.models import CartridgeLot, LotDraw
from puncta.plans.models import PlanStatus, PlanZone, TreatmentPlan
from puncta.plans.services import _findings as plan_findings
from puncta.rules.depth import usual_range
from puncta.scheduling import durations
from puncta.scheduling.models import Appointment, Kind, PatientMessage, Status
from puncta.scheduling.reminders import REMINDER_HOURS, recall_after

from . import fastdb
from .auditlog import Who
from .base import Batch, ClinicNet, Context, PatientRow, Staff, at_time
from .rulescache import PatientFacts, RulesCache, Zones, patient_facts

# Zones treated per indication (base zone codes, as the plan form offers them).
ZONE_SETS = {
    "acne_scars": [("cheek",), ("cheek", "forehead"), ("cheek", "chin"),
                   ("cheek", "forehead", "chin"), ("cheek", "jawline")],
    "other_scars": [("cheek",), ("forehead",), ("chin",), ("arm",), ("back",)],
    "fine_lines": [("forehead", "periorbital"), ("perioral",), ("periorbital", "cheek"),
                   ("forehead", "cheek", "perioral"), ("neck",)],
    "wrinkles": [("forehead", "glabella"), ("perioral", "cheek"), ("neck", "decolletage"),
                 ("forehead", "periorbital", "perioral")],
    "texture": [("cheek",), ("cheek", "forehead"), ("cheek", "forehead", "nose", "chin")],
    "tone": [("cheek", "forehead"), ("cheek", "forehead", "nose", "chin"),
             ("neck", "decolletage")],
    "pigmentation": [("cheek", "forehead"), ("cheek", "upper_lip"),
                     ("cheek", "forehead", "nose")],
    "stretch_marks": [("abdomen",), ("thigh",), ("buttock",), ("abdomen", "thigh"), ("arm",),
                      ("back",)],
}
ZONE_AREA_CM2 = {"cheek": 120, "forehead": 90, "chin": 30, "jawline": 60, "nose": 25,
                 "perioral": 40, "periorbital": 30, "glabella": 15, "upper_lip": 20,
                 "neck": 150, "decolletage": 200, "temple": 30, "arm": 300, "back": 400,
                 "abdomen": 400, "thigh": 400, "buttock": 400}
SEVERITIES = [("light", 10), ("mild", 35), ("moderate", 40), ("severe", 15)]
CLINICIANS = (Role.PHYSICIAN, Role.NURSE_PRACTITIONER, Role.REGISTERED_NURSE,
              Role.MEDICAL_AESTHETICIAN)
STEP = dt.timedelta(minutes=15)
OPEN, CLOSE = dt.time(8, 30), dt.time(19)
WORKER = "puncta worker"
AE_KINDS = [("pain", 20), ("pih", 15), ("herpes", 12), ("bleeding", 10), ("numbing", 10),
            ("allergy", 8), ("infection", 6), ("blister", 5), ("tram_tracks", 4),
            ("vasovagal", 5), ("other", 5)]
PLAN_SHARE = 0.82  # of consented patients, a plan
MISS_RATE = 0.05
DROP_RATE = 0.05  # after each completed session, the patient stops the course


def _choice(rng: Any, weighted: list[tuple[str, int]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def _local(day: dt.date, t: dt.time, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, t, tzinfo=tz)


# --- the clinic's calendar ---------------------------------------------------------------


@dataclass
class Desk:
    """One clinic's resources and busy intervals, kept while its patients are generated."""

    net: ClinicNet
    tz: dict[int, dt.tzinfo]
    rooms: dict[int, list[int]]
    pens: dict[int, list[Any]]  # location id -> devices
    clinicians: list[Staff]
    physicians: list[Staff]
    busy: dict[tuple[str, int, dt.date], list[tuple[dt.datetime, dt.datetime]]] = field(
        default_factory=lambda: defaultdict(list))
    lots: LotBook | None = None

    @classmethod
    def of(cls, net: ClinicNet) -> Desk:
        if net.care is None:
            locs = net.locations
            pens: dict[int, list[Any]] = {loc.pk: [] for loc in locs}
            for i, d in enumerate(x for x in net.devices if x.kind == "pen"):
                pens[locs[min(i // 2, len(locs) - 1)].pk].append(d)
            net.care = cls(net, {loc.pk: zoneinfo.ZoneInfo(loc.time_zone) for loc in locs},
                           {k: [r.pk for r in v] for k, v in net.rooms.items()}, pens,
                           net.role(*CLINICIANS), net.role(Role.PHYSICIAN))
            net.care.lots = LotBook(net)
        return net.care

    def free(self, kind: str, pk: int, day: dt.date, start: dt.datetime,
             end: dt.datetime) -> bool:
        return all(e <= start or s >= end for s, e in self.busy.get((kind, pk, day), ()))

    def take(self, kind: str, pk: int, day: dt.date, start: dt.datetime,
             end: dt.datetime) -> None:
        self.busy[(kind, pk, day)].append((start, end))

    def works(self, s: Staff, loc: int, day: dt.date, treat: dt.datetime,
              end: dt.datetime) -> bool:
        h = self.net.hours.get((s.membership_id, day.weekday()))
        if h is None or h[0] != loc:
            return False
        tz = self.tz[loc]
        return h[1] <= treat.astimezone(tz).time() and end.astimezone(tz).time() <= h[2]


@dataclass
class Slot:
    location: int
    room: int
    practitioner: Staff
    supervisor: Staff | None
    device: Any
    start: dt.datetime
    treat: dt.datetime
    end: dt.datetime
    decision: rules.SessionDecision


@dataclass
class Course:
    """What one patient's plan needs to be booked and charted."""

    row: PatientRow
    plan: TreatmentPlan
    zones: Zones
    facts: PatientFacts
    jurisdiction: str
    washout: int


class LotBook:
    """Cartridge lots received month by month per product (a box of 100; a new one when it
    runs out), so draws always come from a lot received before and unexpired at use."""

    def __init__(self, net: ClinicNet) -> None:
        self.net = net
        self.products: dict[str, list[Any]] = defaultdict(list)
        for p in net.products:
            for model in p.compatible_models:
                self.products[model].append(p)
        self.open: dict[tuple[int, str], CartridgeLot] = {}
        self.left: dict[int, int] = {}
        self.new: list[CartridgeLot] = []
        self.touched: dict[int, CartridgeLot] = {}

    def draw(self, device: Any, on: dt.date, rng: Any) -> CartridgeLot | None:
        choices = self.products.get(device.model_name)
        if not choices:
            return None
        product = choices[rng.randrange(len(choices))]
        month = on.replace(day=1)
        key = (product.pk, month.isoformat())
        lot = self.open.get(key)
        if lot is None or self.left[id(lot)] <= 0:
            k = 1 if lot is None else int(lot.lot_number.rsplit("-M", 1)[1]) + 1
            received = month - dt.timedelta(days=3)
            admin = self.net.staff[Role.CLINIC_ADMIN][0]
            lot = CartridgeLot(
                clinic=self.net.clinic, product=product,
                lot_number=f"{product.manufacturer[:3].upper()}{product.needle_count}-"
                           f"{month:%y%m}-M{k:02d}",
                expiry=received + dt.timedelta(days=730), quantity_received=100,
                quantity_left=100, received_on=received, received_by_id=admin.user_id,
                created_at=dt.datetime.combine(received, dt.time(14), tzinfo=dt.UTC))
            self.open[key] = lot
            self.left[id(lot)] = 100
            self.new.append(lot)
        self.left[id(lot)] -= 1
        self.touched[id(lot)] = lot
        return lot


# --- the stage ---------------------------------------------------------------------------


class CareStage:
    name = "care"

    def __init__(self) -> None:
        self.rules = RulesCache()

    def reset(self) -> None:
        """A fresh cache (and counters) for each run of the generator."""
        self.rules = RulesCache()

    # plans ---------------------------------------------------------------------------
    def _plan(self, ctx: Context, net: ClinicNet, row: PatientRow, rng: Any,
              clinicians: list[Staff], physicians: list[Staff]) -> Course | None:
        cfg = ctx.cfg
        consent = next((c for c in row.consents if c.template.procedure == "microneedling"),
                       None)
        if consent is None or rng.random() >= PLAN_SHARE:
            return None
        p = row.patient
        indication = p.concerns[rng.randrange(len(p.concerns))]
        sev = _choice(rng, SEVERITIES)
        try:
            rules.plan_course(indication, sev, start=cfg.today)
        except rules.RulesInputError:
            sev = "mild"  # no light course for this indication
        zone_set = ZONE_SETS[indication][rng.randrange(len(ZONE_SETS[indication]))]
        zones = []
        for z in zone_set:
            usual = usual_range(z, indication)
            steps = round((usual.max_mm - usual.min_mm) / 0.25)
            depth = Decimal(str(usual.min_mm)) + Decimal("0.25") * rng.randint(0, steps)
            if rng.random() < 0.03:  # a little above the usual range: physician review
                depth += Decimal("0.25")
            zones.append((z, f"{depth:.2f}", rng.choice([2, 3, 3, 4])))
        created = consent.signed_at + dt.timedelta(minutes=rng.randint(10, 40))
        start = created.date() + dt.timedelta(days=rng.randint(0, 10))
        intake = next((i for i in reversed(row.intakes)
                       if i.submitted_at is not None and i.submitted_at <= created), None)
        answers = intake.answers if intake else {}
        facts = patient_facts(birth_date=p.date_of_birth, phototype=p.phototype,
                              answers=answers, on=start)
        clinic = net.clinic
        ztuple = tuple(zones)
        decision = self.rules.plan(jurisdiction=clinic.jurisdiction,
                                   washout=clinic.isotretinoin_washout_months, patient=facts,
                                   indication=indication, severity=sev, zones=ztuple, on=start)
        course = rules.plan_course(indication, sev, start=start)
        author = clinicians[rng.randrange(len(clinicians))]
        dz = [(z, Decimal(d), n) for z, d, n in zones]
        plan = TreatmentPlan(
            patient_id=p.pk, series_id=None, version=1, superseded_at=None,
            status=PlanStatus.ACTIVE, indication=indication, severity=sev, start=start,
            device_type="pen", goals=str(answers.get("goals", ""))[:2000],
            numbing_minutes=30 if "numbing" in {c.template.procedure for c in row.consents}
            else 15, course=course.to_dict(), verdict=decision.verdict,
            findings=plan_findings(decision, dz), rules_version=decision.rules_version,
            created_by_id=author.user_id, created_at=created, approval_note="")
        plan._author = author  # type: ignore[attr-defined]
        if decision.verdict == "review":
            at = created + dt.timedelta(hours=rng.randint(2, 72))
            if at.date() < cfg.today - dt.timedelta(days=2):
                doc = physicians[rng.randrange(len(physicians))]
                plan.approved_by_id, plan.approved_at = doc.user_id, at
                plan.approval_note = "Reviewed the depths with the practitioner; approved."
                plan._approver = doc  # type: ignore[attr-defined]
                plan.start = max(start, at.date())
                plan.course = rules.plan_course(indication, sev, start=plan.start).to_dict()
        return Course(row, plan, ztuple, facts, clinic.jurisdiction,
                      clinic.isotretinoin_washout_months)

    # booking -------------------------------------------------------------------------
    def _eligible(self, c: Course, desk: Desk, role: str, supervised: Staff | None,
                  device: Any, day: dt.date, previous: list[dt.date]
                  ) -> rules.SessionDecision:
        return self.rules.session(
            jurisdiction=c.jurisdiction, washout=c.washout, patient=c.facts,
            indication=c.plan.indication, severity=c.plan.severity, zones=c.zones, on=day,
            role=role, supervisor=_sup(supervised), device=device, previous=previous,
            interval=_interval(c))

    def _find(self, c: Course, desk: Desk, day: dt.date, rng: Any,
              previous: list[dt.date]) -> Slot | None:
        locs = list(desk.rooms)
        rng.shuffle(locs)
        plan = c.plan
        for loc in locs:
            tz = desk.tz[loc]
            pens = desk.pens.get(loc) or []
            if not pens:
                continue
            first = _local(day, OPEN, tz)
            last = _local(day, CLOSE, tz)
            n_steps = int((last - first) / STEP)
            offset = rng.randrange(n_steps)
            staff = list(desk.clinicians)
            rng.shuffle(staff)
            for k in range(n_steps):
                t = first + STEP * ((offset + k) % n_steps)
                start, treat, end = durations.intervals(
                    t, numbing_min=plan.numbing_minutes, zone_count=len(c.zones),
                    severity=plan.severity)
                if end > last:
                    continue
                room = next((r for r in desk.rooms[loc]
                             if desk.free("room", r, day, start, end)), None)
                if room is None:
                    continue
                device = next((d for d in pens if desk.free("dev", d.pk, day, treat, end)),
                              None)
                if device is None:
                    continue
                for pr in staff:
                    if not desk.works(pr, loc, day, treat, end) or not desk.free(
                            "pr", pr.membership_id, day, treat, end):
                        continue
                    alone = self._eligible(c, desk, pr.role, None, device, day, previous)
                    refusals = {f.code for f in alone.findings if f.severity == "refuse"}
                    supervisor, decision = None, alone
                    if refusals:
                        if refusals != {"supervision.required"}:
                            continue
                        supervisor = next(
                            (d for d in desk.physicians if d.membership_id != pr.membership_id
                             and desk.works(d, loc, day, treat, end)), None)
                        if supervisor is None:
                            continue
                        decision = self._eligible(c, desk, pr.role, supervisor, device, day,
                                                  previous)
                        if any(f.severity == "refuse" for f in decision.findings):
                            continue
                    return Slot(loc, room, pr, supervisor, device, start, treat, end,
                                decision)
        return None

    def _book(self, c: Course, desk: Desk, earliest: dt.date, target: dt.date,
              latest: dt.date, not_before: dt.date, rng: Any,
              previous: list[dt.date]) -> tuple[dt.date, Slot] | None:
        span = (latest - earliest).days
        jitter = round(rng.triangular(-span / 2, span / 2, 0)) if span else 0
        aim = min(max(target + dt.timedelta(days=jitter), earliest), latest)
        for off in range(span + 1):
            for day in ((aim,) if off == 0 else
                        (aim + dt.timedelta(days=off), aim - dt.timedelta(days=off))):
                if not (earliest <= day <= latest) or day < not_before or day.weekday() == 6:
                    continue
                slot = self._find(c, desk, day, rng, previous)
                if slot is not None:
                    return day, slot
        return None

    def _prepare_chart(self, c: Course, desk: Desk, slot: Slot, day: dt.date,
                       previous: list[dt.date], rng: Any) -> Prepared | None:
        """What was done and what the rules say of it, as ``charting.checks.evaluate``
        asks them; None when they refuse it (a refused chart is never signed)."""
        content, zones = _content(c, slot, rng)
        pr = slot.practitioner
        d = self.rules.session(
            jurisdiction=c.jurisdiction, washout=c.washout, patient=c.facts,
            indication=c.plan.indication, severity=c.plan.severity, zones=zones, on=day,
            role=pr.role, supervisor=_sup(slot.supervisor), device=slot.device,
            previous=list(previous), interval=_interval(c))
        n_cond = len(c.facts.facts.conditions)
        n_med = len(c.facts.facts.medications)
        findings = session_findings(d, content["zones"], n_cond, n_med)
        numbing = content["numbing"]
        if numbing["used"]:
            nd = self.rules.numbing(numbing["product"], float(numbing["amount_g"]),
                                    float(numbing["area_cm2"]), adult=rules.is_adult(
                                        c.row.patient.date_of_birth, day, c.jurisdiction),
                                    exclusions=tuple(records.numbing_exclusions(c.facts.facts)))
            if nd.verdict == "refuse":  # the rules exclude the cream for this patient
                content["numbing"] = {**numbing, "used": False, "product": "",
                                      "amount_g": "", "area_cm2": "", "applied_at": "",
                                      "removed_at": ""}
                nd = None
            if nd is not None:
                findings += numbing_findings(nd)
        verdict = rules.verdict_of_severities(f["severity"] for f in findings)
        if verdict == "refuse":
            return None
        if slot.supervisor is not None:
            alone = self.rules.session(
                jurisdiction=c.jurisdiction, washout=c.washout, patient=c.facts,
                indication=c.plan.indication, severity=c.plan.severity, zones=zones, on=day,
                role=pr.role, supervisor=None, device=slot.device, previous=list(previous),
                interval=_interval(c))
            supervision = "supervision.required" in alone.codes
        else:
            supervision = "supervision.required" in d.codes
        assert desk.lots is not None
        lot = desk.lots.draw(slot.device, day, rng)
        # In UTC, as the app's clock stamps it (the signed document holds its isoformat).
        signed = (slot.end + dt.timedelta(minutes=rng.randint(2, 90))).astimezone(dt.UTC)
        return Prepared(day, content, findings, verdict, d.rules_version,
                        supervision or verdict == "review", supervision, signed, lot)

    # the run -------------------------------------------------------------------------
    def run(self, ctx: Context, batch: Batch) -> None:
        net = batch.net
        desk = Desk.of(net)
        # One stream per pass over the batch, so the values drawn for a patient do not
        # depend on the batch size.
        rng = ctx.stream(net, "care.plan")
        book = ctx.stream(net, "care.book")
        clinicians = desk.clinicians
        physicians = desk.physicians
        desk_staff = net.role(Role.FRONT_DESK)
        out = Out()
        courses = []
        for row in batch.rows:
            course = self._plan(ctx, net, row, rng, clinicians, physicians)
            if course is not None:
                courses.append(course)
        fastdb.insert(TreatmentPlan, [c.plan for c in courses])
        zones = [PlanZone(plan_id=c.plan.pk, zone=z, depth_mm=Decimal(d), passes=n)
                 for c in courses for z, d, n in c.zones]
        fastdb.insert(PlanZone, zones)
        ctx.created(TreatmentPlan, len(courses))
        ctx.created(PlanZone, len(zones))
        for c in courses:
            plan = c.plan
            ctx.audit.add(plan.created_at, plan._author.who(), Action.CREATE,
                          "plans.treatmentplan", plan.pk, patient_id=plan.patient_id,
                          data={"version": 1, "verdict": plan.verdict, "series": plan.pk,
                                "codes": [f["code"] for f in plan.findings]})
            if plan.approved_at is not None:
                ctx.audit.add(plan.approved_at, plan._approver.who(), Action.UPDATE,
                              "plans.treatmentplan", plan.pk, patient_id=plan.patient_id,
                              reason=plan.approval_note, data={"approved": True})
            if plan.verdict == "allow" or plan.approved_at is not None:
                self._series(ctx, c, desk, book, desk_staff, out)
        out.write(ctx, desk, ctx.stream(net, "care.missed"), ctx.stream(net, "care.charts"))

    def _series(self, ctx: Context, c: Course, desk: Desk, rng: Any,
                desk_staff: list[Staff], out: Out) -> None:
        today = ctx.cfg.today
        plan = c.plan
        done: list[dt.date] = []  # dates of live sessions, in order (completed or booked)
        completed: list[dt.date] = []
        booked_at = plan.approved_at or plan.created_at
        n_sessions = len(plan.course["sessions"])
        n = 1
        stopped = False
        while n <= n_sessions:
            w = rules.plan_course(plan.indication, plan.severity, start=plan.start,
                                  done=done).sessions[n - 1]
            earliest, latest = w.earliest, w.latest
            target = w.target
            if n == 1:  # the first window runs from the plan's start (rules' horizon)
                target = earliest + dt.timedelta(days=rng.randint(0, 10))
            not_before = booked_at.date() + dt.timedelta(days=1)
            found = self._book(c, desk, earliest, target, latest, not_before, rng, completed)
            if found is None:
                out.unplaced += 1
                break
            day, slot = found
            past = day < today
            missed = past and rng.random() < MISS_RATE
            appt = out.appointment(c, slot, n, earliest, latest, booked_at,
                                   desk_staff[rng.randrange(len(desk_staff))], rng)
            for kind, pk, lo in (("room", slot.room, slot.start),
                                 ("pr", slot.practitioner.membership_id, slot.treat),
                                 ("dev", slot.device.pk, slot.treat)):
                desk.take(kind, pk, day, lo, slot.end)
            if missed:
                appt.status = Status.MISSED
                appt.version = 2
                booked_at = slot.end + dt.timedelta(hours=rng.randint(1, 30))
                out.missed.append(appt)
                continue  # the same session, booked again inside its window
            done.append(day)
            if not past:  # booked: the later sessions are booked too (re-flowed windows)
                n += 1
                continue
            prep = self._prepare_chart(c, desk, slot, day, completed, rng)
            appt.version = 2
            if prep is None:  # the rules refuse it on the day: not done, course on hold
                appt.status = Status.CANCELLED
                appt.updated_at = slot.treat
                ctx.results["sessions_refused_at_chart"] += 1
                break
            appt.status = Status.COMPLETED
            appt.updated_at = prep.signed_at
            out.charts.append((c, slot, appt, prep))
            completed.append(day)
            booked_at = slot.end
            n += 1
            if n <= n_sessions and rng.random() < DROP_RATE:
                stopped = True
                break
        if stopped:
            plan.status = PlanStatus.CANCELLED
            out.plan_updates.append((plan, "cancelled"))
        elif len(completed) == n_sessions:
            plan.status = PlanStatus.COMPLETED
            out.plan_updates.append((plan, "completed"))


# --- rows of a batch ---------------------------------------------------------------------


@dataclass
class Out:
    appointments: list[tuple[Appointment, Course, Slot, Staff]] = field(default_factory=list)
    missed: list[Appointment] = field(default_factory=list)
    charts: list[tuple[Course, Slot, Appointment, Prepared]] = field(default_factory=list)
    plan_updates: list[tuple[TreatmentPlan, str]] = field(default_factory=list)
    unplaced: int = 0

    def appointment(self, c: Course, slot: Slot, n: int, earliest: dt.date, latest: dt.date,
                    booked_at: dt.datetime, clerk: Staff, rng: Any) -> Appointment:
        plan = c.plan
        d = slot.decision
        created = min(booked_at + dt.timedelta(minutes=rng.randint(2, 50)),
                      slot.start - dt.timedelta(hours=1))
        appt = Appointment(
            clinic_id=plan_clinic(c), location_id=slot.location, patient_id=plan.patient_id,
            plan_id=plan.pk, series_id=plan.pk, session_number=n, kind=Kind.TREATMENT,
            status=Status.BOOKED, practitioner_id=slot.practitioner.membership_id,
            supervisor_id=slot.supervisor.membership_id if slot.supervisor else None,
            room_id=slot.room, device_id=slot.device.pk, start=slot.start,
            treat_start=slot.treat, end=slot.end, window_earliest=earliest,
            window_latest=latest, override_reason="", override_by_id=None, flag="",
            rules_verdict=d.verdict, rules_findings=[f.to_dict() for f in d.findings],
            rules_version=d.rules_version, version=1, created_by_id=clerk.user_id,
            created_at=created, updated_at=created)
        self.appointments.append((appt, c, slot, clerk))
        return appt

    # writing ---------------------------------------------------------------------------
    def write(self, ctx: Context, desk: Desk, rng: Any, chart_rng: Any) -> None:
        ctx.results["sessions_unplaced"] += self.unplaced
        appts = [a for a, _, _, _ in self.appointments]
        fastdb.insert(Appointment, appts)
        ctx.created(Appointment, len(appts))
        by_status: dict[str, list[int]] = defaultdict(list)
        for plan, status in self.plan_updates:
            by_status[status].append(plan.pk)
        for status, pks in sorted(by_status.items()):  # one statement per status
            TreatmentPlan.objects.filter(pk__in=pks).update(status=status)
        today = ctx.cfg.today
        now = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)
        for a, _c, _slot, clerk in self.appointments:
            ctx.audit.add(a.created_at, clerk.who(), Action.CREATE, "scheduling.appointment",
                          a.pk, patient_id=a.patient_id,
                          data={"session": a.session_number, "start": a.start.isoformat(),
                                "practitioner": a.practitioner_id, "room": a.room_id,
                                "device": a.device_id, "supervisor": a.supervisor_id})
            if a.status == Status.MISSED:
                at = a.end + dt.timedelta(minutes=rng.randint(15, 240))
                ctx.audit.add(at, clerk.who(), Action.UPDATE, "scheduling.appointment", a.pk,
                              patient_id=a.patient_id, reason="Patient did not come.",
                              data={"status": Status.MISSED})
        charts = self._charts(ctx, desk, chart_rng)
        self._messages(ctx, desk, charts, now)

    def _charts(self, ctx: Context, desk: Desk, rng: Any
                ) -> list[tuple[Chart, Appointment]]:
        net = desk.net
        lots = desk.lots
        assert lots is not None
        charts: list[tuple[Chart, Appointment, Course, Slot, CartridgeLot | None]] = []
        for c, slot, appt, prep in self.charts:
            pr = slot.practitioner
            chart = Chart(
                clinic_id=net.clinic.pk, patient=c.row.patient, appointment_id=appt.pk,
                plan_id=c.plan.pk, indication=c.plan.indication, severity=c.plan.severity,
                on=prep.day, practitioner_id=pr.membership_id,
                supervisor_id=slot.supervisor.membership_id if slot.supervisor else None,
                device_id=slot.device.pk, lot=prep.lot, content=prep.content,
                status=ChartStatus.FINAL, verdict=prep.verdict, findings=prep.findings,
                rules_version=prep.rules_version, input_errors={},
                cosign_required=prep.cosign_required,
                supervision_required=prep.supervision_required, version=3,
                created_by_id=pr.user_id,
                created_at=slot.treat, updated_at=prep.signed_at, signed_by_id=pr.user_id,
                signed_at=prep.signed_at, cosign_note="")
            if slot.supervisor is not None:
                # The supervising physician attests before the chart can be signed
                # (charting.services.chart_attest_supervision; the rules refuse otherwise).
                chart.supervision_attested_by_id = slot.supervisor.membership_id
                chart.supervision_attested_at = prep.signed_at - dt.timedelta(minutes=2)
                chart.version += 1
            charts.append((chart, appt, c, slot, prep.lot))
        new_lots = lots.new
        lots.new = []
        fastdb.insert(CartridgeLot, new_lots)
        ctx.created(CartridgeLot, len(new_lots))
        admin = net.staff[Role.CLINIC_ADMIN][0].who()
        for lot in new_lots:
            ctx.audit.add(lot.created_at, admin, Action.CREATE, "devices.cartridgelot", lot.pk,
                          data={"lot_number": lot.lot_number, "quantity": 100})
        fastdb.assign_ids(Chart, [ch for ch, *_ in charts])
        draws = []
        for chart, _appt, _c, slot, lot in charts:
            if lot is None:
                continue
            chart.lot_id = lot.pk
            draw = LotDraw(lot_id=lot.pk, device_id=slot.device.pk,
                           patient_id=chart.patient_id, reference=f"chart:{chart.pk}",
                           on=chart.on, drawn_at=chart.signed_at,
                           drawn_by_id=slot.practitioner.user_id,
                           drawn_by_label=slot.practitioner.username)
            draws.append(draw)
            chart._draw = draw  # type: ignore[attr-defined]
        fastdb.insert(LotDraw, draws)
        ctx.created(LotDraw, len(draws))
        amendments, events = [], []
        for chart, appt, c, slot, lot in charts:
            draw = getattr(chart, "_draw", None)
            chart.lot_draw_id = draw.pk if draw else None
            pr = slot.practitioner
            doc = _document(chart, c, slot, lot)
            chart.sha256 = seal(doc, by_id=pr.user_id, by_name=pr.label, at=chart.signed_at)
            chart.signed_content = doc
            with translation.override(None):
                chart.aftercare = aftercare_sheet(chart, chart.max_depth)
            who = pr.who()
            ctx.audit.add(chart.created_at, who, Action.CREATE, "charting.chart", chart.pk,
                          patient_id=chart.patient_id,
                          data={"appointment": appt.pk, "verdict": chart.verdict})
            ctx.audit.add(chart.created_at + dt.timedelta(minutes=5), who, Action.UPDATE,
                          "charting.chart", chart.pk, patient_id=chart.patient_id,
                          data={"version": 2, "verdict": chart.verdict,
                                "codes": sorted({f["code"] for f in chart.findings}),
                                "input_errors": []})
            if slot.supervisor is not None:  # attested above, before the signature
                ctx.audit.add(chart.supervision_attested_at, slot.supervisor.who(),
                              Action.UPDATE, "charting.chart", chart.pk,
                              patient_id=chart.patient_id,
                              data={"supervision_attested": True,
                                    "at": chart.supervision_attested_at.isoformat()})
            if draw is not None:
                ctx.audit.add(chart.signed_at, who, Action.CREATE, "devices.lotdraw", draw.pk,
                              patient_id=chart.patient_id,
                              data={"lot": lot.pk, "device": slot.device.pk,
                                    "reference": draw.reference})
            ctx.audit.add(chart.signed_at, who, Action.UPDATE, "charting.chart", chart.pk,
                          patient_id=chart.patient_id,
                          data={"signed": True, "sha256": chart.sha256,
                                "verdict": chart.verdict, "rules_version": chart.rules_version,
                                "status": ChartStatus.PENDING_COSIGN if chart.cosign_required
                                else ChartStatus.FINAL, "lot_draw": chart.lot_draw_id})
            ctx.audit.add(chart.signed_at, who, Action.UPDATE, "scheduling.appointment",
                          appt.pk, patient_id=chart.patient_id, reason=f"chart:{chart.pk}",
                          data={"status": Status.COMPLETED})
            appt.updated_at = chart.signed_at
            if chart.cosign_required:
                doc_ = slot.supervisor or (pr if pr.role == Role.PHYSICIAN else None)
                at = chart.signed_at + dt.timedelta(hours=rng.randint(1, 70))
                if doc_ is None or at.date() >= ctx.cfg.today:
                    chart.status = ChartStatus.PENDING_COSIGN  # in the co-sign queue
                else:
                    note = ("Reviewed; depths as planned." if chart.verdict == "review"
                            else "")
                    chart.cosigned_by_id, chart.cosigned_at = doc_.user_id, at
                    chart.cosign_note = note
                    chart.version += 1
                    chart.updated_at = at
                    ctx.audit.add(at, doc_.who(), Action.UPDATE, "charting.chart", chart.pk,
                                  patient_id=chart.patient_id, reason=note,
                                  data={"cosigned": True, "sha256": chart.sha256})
            draw_ae = rng.random()
            if draw_ae < 0.012:
                events.append(_adverse(chart, c, pr, rng, ctx.cfg.today))
            if rng.random() < 0.01 and chart.status == ChartStatus.FINAL:
                amendments.append(_amend(chart, c, slot, lot, pr, rng))
        fastdb.insert(Chart, [ch for ch, *_ in charts])
        ctx.created(Chart, len(charts))
        fastdb.insert(Amendment, amendments)
        ctx.created(Amendment, len(amendments))
        for am in amendments:
            ctx.audit.add(am.at, am._who, Action.UPDATE, "charting.amendment", am.pk,
                          patient_id=am._patient_id, reason=am.reason,
                          data={"chart": am.chart_id, "number": 1, "changed": am.changed,
                                "verdict": am.verdict, "sha256": am.sha256})
        fastdb.insert(AdverseEvent, events)
        ctx.created(AdverseEvent, len(events))
        for ae in events:
            ctx.audit.add(ae.created_at, ae._who, Action.CREATE, "charting.adverseevent",
                          ae.pk, patient_id=ae.patient_id,
                          data={"kind": ae.kind, "severity": ae.severity, "phase": ae.phase,
                                "chart": ae.chart_id})
            for note in ae.notes:
                ctx.audit.add(dt.datetime.fromisoformat(note["at"]), ae._who, Action.UPDATE,
                              "charting.adverseevent", ae.pk, patient_id=ae.patient_id,
                              reason=note["note"], data={"status": note["status"]})
        for lot in lots.touched.values():
            CartridgeLot.objects.filter(pk=lot.pk).update(quantity_left=lots.left[id(lot)])
        lots.touched.clear()
        return [(ch, appt) for ch, appt, *_ in charts]

    def _messages(self, ctx: Context, desk: Desk, charts: list[tuple[Chart, Appointment]],
                  now: dt.datetime) -> None:
        net = desk.net
        clinic = net.clinic
        texts = ctx.messages
        locs = {loc.pk: loc for loc in net.locations}
        chart_of = {appt.pk: ch for ch, appt in charts}
        checkin_after = dt.timedelta(hours=rules.checkin().after_hours)
        # Plain rows (PatientMessage's columns), not model instances: the most numerous table.
        rows: list[tuple[Any, ...]] = []
        for a, c, _slot, _clerk in self.appointments:
            p = c.row.patient
            loc = locs[a.location_id]
            lang = p.preferred_language
            reachable = bool(p.email) and not getattr(p, "contact_opt_out", False)

            def add(kind: str, when: dt.datetime, status: str, reason: str = "",
                    subject_body: tuple[str, str] | None = None, a: Appointment = a,
                    p: Any = p, lang: str = lang, loc: Any = loc) -> None:
                if subject_body is None:
                    subject_body = texts.appointment(kind, lang, p, clinic, loc, a.start)
                sent = when + dt.timedelta(seconds=20) if status in ("sent", "skipped") \
                    else None
                rows.append((p.pk, a.pk, kind, "email", subject_body[0], subject_body[1],
                             status, reason, when, sent, a.created_at))

            delivered = "sent" if reachable else "skipped"
            why = "" if reachable else "no email address"
            for hours in REMINDER_HOURS:
                when = a.start - dt.timedelta(hours=hours)
                if when <= a.created_at:
                    continue
                add(f"reminder_{hours}h", when, delivered if when < now else "queued",
                    why if when < now else "")
            checkin_at = a.end + checkin_after
            if a.status == Status.BOOKED:
                add("checkin", checkin_at, "queued")
                if a.session_number == len(c.plan.course["sessions"]):
                    add("recall", a.start + recall_after(c.plan.course), "queued")
            elif a.status in (Status.MISSED, Status.CANCELLED):
                add("checkin", checkin_at, "cancelled", "appointment cancelled")
            else:
                add("checkin", checkin_at, "cancelled", "replaced by the chart's check-in")
                chart = chart_of.get(a.pk)
                if chart is not None:
                    sb = texts.checkin(lang, p, clinic, chart.aftercare, chart.on)
                    when = chart.signed_at + checkin_after
                    add("checkin", when, delivered if when < now else "queued",
                        why if when < now else "", sb)
        ids = fastdb.reserve_ids(PatientMessage, len(rows))
        fastdb.insert_rows(PatientMessage, MESSAGE_COLUMNS,
                           [(pk, *row) for pk, row in zip(ids, rows, strict=True)])
        ctx.created(PatientMessage, len(rows))
        worker = Who(None, WORKER, "", clinic.pk)
        for pk, (patient_id, _a, kind, _ch, _s, _b, status, _r, _w, sent, _c) in zip(
                ids, rows, strict=True):
            if status in ("sent", "skipped"):
                ctx.audit.add(sent, worker, Action.UPDATE, "scheduling.patientmessage",
                              pk, patient_id=patient_id, data={"kind": kind, "status": status})


MESSAGE_COLUMNS = ("id", "patient_id", "appointment_id", "kind", "channel", "subject", "body",
                   "status", "reason", "send_after", "sent_at", "created_at")


def _interval(c: Course) -> tuple[int, int]:
    days = c.plan.course["interval_days"]
    return days["min"], days["max"]


def _sup(s: Staff | None) -> rules.Supervisor | None:
    """The supervising physician as booking puts them to the rules (``facts.supervisor``
    of the membership; presence is not known before the day)."""
    if s is None:
        return None
    return records.supervisor(SimpleNamespace(pk=s.membership_id, user=s.label, role=s.role))


@dataclass
class Prepared:
    """A completed session's chart, decided before it is written."""

    day: dt.date
    content: dict[str, Any]
    findings: list[dict[str, Any]]
    verdict: str
    rules_version: str
    cosign_required: bool
    supervision_required: bool
    signed_at: dt.datetime
    lot: CartridgeLot | None


def plan_clinic(c: Course) -> int:
    return c.row.patient.clinic_id


def _content(c: Course, slot: Slot, rng: Any) -> tuple[dict[str, Any], Zones]:
    consents = {x.template.procedure for x in c.row.consents if x.withdrawn_at is None}
    zones = []
    for z, d, n in c.zones:
        depth = Decimal(d)
        if rng.random() < 0.1 and depth > Decimal("0.5"):
            depth -= Decimal("0.25")  # went shallower than planned where the skin was thin
        zones.append({"zone": z, "depth_mm": f"{depth:.2f}", "passes": n,
                      "pattern": rng.choice(["horizontal", "vertical", "diagonal"]),
                      "speed": rng.choice(["", "8", "10", "12"]),
                      "endpoint": rng.choice(["erythema", "erythema", "pinpoint_bleeding"]),
                      "endpoint_other": ""})
    numbing = {"used": False, "product": "", "concentration": "", "amount_g": "",
               "area_cm2": "", "applied_at": "", "removed_at": "", "occluded": False}
    if "numbing" in consents:
        area = min(sum(ZONE_AREA_CM2.get(z["zone"], 100) for z in zones), 600)
        tz = slot.start.tzinfo
        applied = slot.start.astimezone(tz)
        removed = slot.treat.astimezone(tz)
        numbing.update(used=True, product=rng.choice(["emla", "emla", "lidocaine_tetracaine"]),
                       amount_g=f"{max(1.0, round(area / 10 * 1.5 * 2) / 2):g}",
                       area_cm2=str(area), applied_at=f"{applied:%H:%M}",
                       removed_at=f"{removed:%H:%M}")
    content = {
        "today": {"answered": True, "cold_sore": False, "infection": False,
                  "pregnancy": False, "new_medication": "", "medication_note": ""},
        "photos_taken": "photography" in consents and rng.random() < 0.8,
        "cleansing": rng.choice(["Chlorhexidine 0.5 %", "Isopropyl alcohol 70 %",
                                 "Gentle cleanser, then chlorhexidine"]),
        "numbing": numbing,
        "zones": zones,
        "topicals": rng.choice(["Hyaluronic acid serum", "Sterile saline",
                                "Hyaluronic acid serum, then mineral sunscreen"]),
        "duration_min": int((slot.end - slot.treat).total_seconds() // 60)
        - durations.TURNOVER_MIN,
        "notes": rng.choice(["", "", "Tolerated well.", "Mild erythema at the end, expected."]),
        "lot_number": "",
    }
    ztuple = tuple((z["zone"], z["depth_mm"], z["passes"]) for z in zones)
    return content, ztuple


def _who(s: Staff | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"id": s.membership_id, "name": s.label, "role": s.role,
            "registration": s.registration}


def _document(chart: Chart, c: Course, slot: Slot, lot: CartridgeLot | None
              ) -> dict[str, Any]:
    """``charting.services.document`` for a generated chart (no event during sessions)."""
    chart.content["lot_number"] = lot.lot_number if lot else ""
    return signed_document(
        chart, mrn=c.row.patient.mrn, practitioner=_who(slot.practitioner),
        supervisor=_who(slot.supervisor), device=slot.device, lot=lot,
        content=chart.content, during=[], findings=chart.findings, verdict=chart.verdict,
        rules_version=chart.rules_version)


def _adverse(chart: Chart, c: Course, pr: Staff, rng: Any, today: dt.date) -> AdverseEvent:
    kind = _choice(rng, AE_KINDS)
    phase = AEPhase.AFTER if rng.random() < 0.6 else AEPhase.CHECKIN
    occurred = chart.on + dt.timedelta(days=rng.randint(1, 5))
    severity = _choice(rng, [(AESeverity.MILD, 75), (AESeverity.MODERATE, 22),
                             (AESeverity.SEVERE, 3)])
    created = at_time(min(occurred, today), rng)
    notes = []
    status = AEStatus.OPEN
    follow = created + dt.timedelta(days=rng.randint(2, 14))
    if follow.date() < today:
        status = AEStatus.RESOLVED if rng.random() < 0.85 else AEStatus.MONITORING
        notes.append({"at": follow.isoformat(), "by": pr.label,
                      "note": "Seen again; settling with the aftercare given." if
                      status == AEStatus.MONITORING else "Resolved.", "status": status})
    ae = AdverseEvent(
        clinic_id=chart.clinic_id, patient_id=chart.patient_id, chart_id=chart.pk,
        phase=phase, kind=kind, severity=severity,
        description="Reported by the patient after the session.",
        action_taken="Advice given; aftercare reviewed.", occurred_on=min(occurred, today),
        status=status, notes=notes, reported_by_id=pr.user_id, created_at=created,
        updated_at=follow if notes else created)
    ae._who = pr.who()  # type: ignore[attr-defined]
    return ae


def _amend(chart: Chart, c: Course, slot: Slot, lot: CartridgeLot | None, pr: Staff,
           rng: Any) -> Amendment:
    """A late entry in the notes (the rules' answer does not change with the notes)."""
    before = chart.content
    after = {**before, "notes": (before.get("notes", "") + " Late entry: patient reported "
                                 "mild stinging during the last pass.").strip()}
    at = (chart.cosigned_at or chart.signed_at) + dt.timedelta(hours=rng.randint(2, 48))
    doc = _document(chart, c, slot, lot)
    doc["content"] = after
    sha256 = amendment_seal(doc, number=1, reason="Late entry", by_name=pr.label,
                            previous_sha256=chart.sha256)
    am = Amendment(chart_id=chart.pk, number=1, reason="Late entry", before=before,
                   after=after, changed=["notes"], verdict=chart.verdict,
                   findings=chart.findings, rules_version=chart.rules_version,
                   sha256=sha256, by_id=pr.user_id, at=at)
    chart.content = after
    chart.version += 1
    chart.updated_at = max(chart.updated_at, at)
    am._who = pr.who()  # type: ignore[attr-defined]
    am._patient_id = chart.patient_id  # type: ignore[attr-defined]
    return am


