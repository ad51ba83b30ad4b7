"""Reads for the "Today" dashboard and the compliance page.

Each queue is one aggregate query (a count, not the rows), asked only of the people whose
permissions make it theirs; the compliance checks read their cases in a fixed number of
queries. Both are pinned in tests/test_query_counts.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from puncta.accounts.models import Membership
from puncta.accounts.roles import has_perm
from puncta.charting.models import AdverseEvent, AEStatus, Chart, ChartStatus
from puncta.clinics import clock
from puncta.clinics.models import Clinic
from puncta.consent.models import Consent
from puncta.consent.selectors import latest_versions
from puncta.devices.models import CartridgeLot, inactive_q
from puncta.patients.intake.selectors import review_queue
from puncta.scheduling.models import Appointment, Kind, PatientMessage, Status

COSIGN_DUE = dt.timedelta(hours=72)
LOT_WARNING_DAYS = 30


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    count: int
    url: str
    urgent: bool = False


def _day_bounds(clinic: Clinic, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = clock.start_of_day(clinic, day)
    return start, clock.start_of_day(clinic, day + dt.timedelta(days=1))


def dashboard_queues(member: Membership, *, now: dt.datetime) -> list[Queue]:
    """The work waiting for this person, by what their role may do."""
    role, clinic = member.role, member.clinic
    today = clock.local_date(clinic, now)
    lo, hi = _day_bounds(clinic, today)
    out: list[Queue] = []
    appts: dict[str, Any] = {}
    if has_perm(role, "chart.edit") or has_perm(role, "appointment.book"):
        # One read of the appointments for both queues that count them.
        appts = Appointment.objects.filter(clinic_id=clinic.pk, status=Status.BOOKED,
                                           start__gte=lo).aggregate(
            to_chart=Count("id", filter=Q(kind=Kind.TREATMENT, practitioner=member,
                                          start__lt=hi, chart__isnull=True)),
            rebook=Count("id", filter=~Q(flag="")))
    if has_perm(role, "screening.review"):
        n = review_queue(clinic.pk).count()
        out.append(Queue("reviews", str(_("Screenings waiting for your review")), n,
                         reverse("patients:review_queue"), n > 0))
    if has_perm(role, "chart.edit") or has_perm(role, "chart.cosign"):
        mine_cosign = Q(status=ChartStatus.PENDING_COSIGN, returned_at__isnull=True) & (
            Q(supervisor=member) | Q(supervisor__isnull=True, practitioner=member))
        # Every count is of drafts or charts awaiting co-signature: only those rows are
        # read (index chart_clinic_status), not the clinic's whole history.
        c = Chart.objects.filter(
            clinic_id=clinic.pk, status__in=[ChartStatus.DRAFT, ChartStatus.PENDING_COSIGN],
        ).aggregate(
            drafts=Count("id", filter=Q(status=ChartStatus.DRAFT, practitioner=member)),
            returned=Count("id", filter=Q(status=ChartStatus.PENDING_COSIGN,
                                          returned_at__isnull=False, practitioner=member)),
            cosign=Count("id", filter=mine_cosign),
            cosign_overdue=Count("id", filter=mine_cosign & Q(signed_at__lt=now - COSIGN_DUE)),
        )
        if has_perm(role, "chart.cosign"):
            out.append(Queue("cosign", str(_("Charts to co-sign")), c["cosign"],
                             reverse("charting:queue"), c["cosign_overdue"] > 0))
        if has_perm(role, "chart.edit"):
            out.append(Queue("drafts", str(_("Your unsigned charts")), c["drafts"],
                             reverse("charting:home") + "#drafts", c["drafts"] > 0))
            out.append(Queue("returned", str(_("Charts returned to you with a note")),
                             c["returned"], reverse("charting:home") + "#returned",
                             c["returned"] > 0))
            out.append(Queue("to_chart", str(_("Your sessions today not charted yet")),
                             appts["to_chart"], reverse("charting:home")))
    if has_perm(role, "adverse.report"):
        ae = AdverseEvent.objects.filter(clinic_id=clinic.pk).aggregate(
            open=Count("id", filter=Q(status=AEStatus.OPEN)),
            monitoring=Count("id", filter=Q(status=AEStatus.MONITORING)))
        out.append(Queue("adverse", str(_("Open adverse events")), ae["open"],
                         reverse("charting:ae_report") + "?status=open", ae["open"] > 0))
        out.append(Queue("followups", str(_("Adverse events to follow up")), ae["monitoring"],
                         reverse("charting:ae_report") + "?status=monitoring"))
    if has_perm(role, "lot.receive"):
        lots = CartridgeLot.objects.filter(clinic_id=clinic.pk, quantity_left__gt=0).aggregate(
            soon=Count("id", filter=Q(expiry__lte=today + dt.timedelta(days=LOT_WARNING_DAYS))),
            expired=Count("id", filter=Q(expiry__lt=today)))
        out.append(Queue("lots", str(_("Cartridge lots expiring within 30 days")),
                         lots["soon"], reverse("devices:lot_list"), lots["expired"] > 0))
    if has_perm(role, "appointment.book"):
        # Both counts are of messages due from a week ago to today (a message is skipped
        # only when its send time has come): read only those (index message_send_after),
        # not every message the clinic ever sent or has queued for months ahead.
        m = PatientMessage.objects.filter(
            patient__clinic_id=clinic.pk, send_after__gte=lo - dt.timedelta(days=7),
            send_after__lt=hi,
        ).aggregate(
            checkins=Count("id", filter=Q(kind="checkin", send_after__gte=lo,
                                          send_after__lt=hi)),
            skipped=Count("id", filter=Q(status="skipped", send_after__gte=lo - dt.timedelta(
                days=7))))
        out.append(Queue("checkins", str(_("Check-ins due today")), m["checkins"],
                         reverse("scheduling:messages")))
        out.append(Queue("skipped", str(_("Reminders not delivered this week")), m["skipped"],
                         reverse("scheduling:messages") + "?status=skipped", m["skipped"] > 0))
        out.append(Queue("rebook", str(_("Sessions that need rebooking")), appts["rebook"],
                         reverse("web:rebook"), appts["rebook"] > 0))
    return out


def schedule_by_location(appointments: list[Appointment]) -> list[dict[str, Any]]:
    """Today's appointments grouped by location, in the order they were read."""
    groups: dict[int, dict[str, Any]] = {}
    for a in appointments:
        g = groups.setdefault(a.location_id, {"location": a.location, "appointments": []})
        g["appointments"].append(a)
    return sorted(groups.values(), key=lambda g: g["location"].name)


# --- compliance ---------------------------------------------------------------------------

@dataclass
class Check:
    key: str
    label: str
    explain: str
    cases: list[dict[str, Any]] = field(default_factory=list)
    # How many cases there are; ``cases`` holds the most recent SHOWN of them.
    total: int = 0

    @property
    def count(self) -> int:
        return max(self.total, len(self.cases))

    @property
    def more(self) -> int:
        return self.count - len(self.cases)


# A check lists its most recent cases; the count says how many there are in all (at 100,000
# patients a check could otherwise list, and audit, tens of thousands of rows).
SHOWN = 50


def may_see_compliance(member: Membership) -> bool:
    """The medical director and the clinic administrator."""
    return has_perm(member.role, "compliance.view") and (
        member.is_medical_director or has_perm(member.role, "clinic.manage"))


def _chart_case(c: Chart, detail: str = "") -> dict[str, Any]:
    return {"url": reverse("charting:chart", args=[c.pk]), "patient": c.patient,
            "on": c.on, "who": c.practitioner.user, "detail": detail}


def compliance_checks(clinic: Clinic, *, now: dt.datetime) -> list[Check]:
    """Each check should read 0; its cases say where to look: a count and the SHOWN most
    recent cases per check, in a number of queries that does not grow with the clinic."""
    signed = (Chart.objects.filter(clinic_id=clinic.pk)
              .exclude(status=ChartStatus.DRAFT)
              .select_related("patient", "practitioner__user", "device__licence")
              .order_by("-on", "-id"))
    unsupervised = Check(
        "supervision", str(_("Sessions needing supervision without an attested supervisor")),
        str(_("Signed charts the rules sent for supervision (dermal depth or a medical "
              "indication) by a non-physician, with no supervising physician named, no "
              "attestation by that physician, or locked without the co-signature.")))
    found = signed.filter(supervision_required=True).exclude(practitioner__role="physician"
                                                             ).filter(
        Q(supervisor__isnull=True) | Q(supervision_attested_by__isnull=True)
        | Q(status=ChartStatus.FINAL, cosigned_by__isnull=True))
    unsupervised.total = found.count()
    unsupervised.cases = [_chart_case(c) for c in found[:SHOWN]]
    unlicensed = Check(
        "device", str(_("Sessions with a device not licensed on the day")),
        str(_("Signed charts whose device had no licence, or a licence not in force on the "
              "session's date.")))
    found = signed.filter(device__isnull=False).filter(
        Q(device__licence__isnull=True)
        | inactive_q("device__licence__first_date", "device__licence__end_date", "on"))
    unlicensed.total = found.count()
    unlicensed.cases = [_chart_case(c, str(c.device.model_name if c.device else ""))
                        for c in found[:SHOWN]]
    overdue = Check(
        "cosign", str(_("Co-signatures overdue (over 72 hours)")),
        str(_("Charts signed by the practitioner and still waiting for the physician's "
              "co-signature after 72 hours.")))
    found = (Chart.objects.filter(clinic_id=clinic.pk, status=ChartStatus.PENDING_COSIGN,
                                  signed_at__lt=now - COSIGN_DUE)
             .select_related("patient", "practitioner__user").order_by("signed_at", "id"))
    overdue.total = found.count()
    for c in found[:SHOWN]:  # the longest overdue first
        hours = int((now - c.signed_at).total_seconds() // 3600) if c.signed_at else 0
        overdue.cases.append(_chart_case(c, str(_("%(h)s hours") % {"h": hours})))
    consents = Check(
        "consent", str(_("Booked patients whose consent is not current")),
        str(_("Patients with a booked session whose microneedling consent is missing, "
              "withdrawn or signed on an older version of the document.")))
    booked = {a.patient_id: a for a in Appointment.objects.filter(
        clinic_id=clinic.pk, status=Status.BOOKED, start__gte=now, kind=Kind.TREATMENT)
        .select_related("patient", "location").order_by("-start")}
    if booked:
        latest = latest_versions(clinic.pk)
        newest: dict[int, Consent] = {}
        for c in (Consent.objects.filter(patient_id__in=list(booked),
                                         template__procedure="microneedling")
                  .select_related("template").order_by("-signed_at", "-id")):
            newest.setdefault(c.patient_id, c)
        for pid, appt in sorted(booked.items(), key=lambda kv: kv[1].start):
            c = newest.get(pid)
            if c is None:
                state = _("not signed")
            elif c.withdrawn_at:
                state = _("withdrawn")
            elif c.template.version < latest.get(("microneedling", c.template.language), 0):
                state = _("older version")
            else:
                continue
            consents.total += 1
            if len(consents.cases) < SHOWN:  # the soonest sessions first
                consents.cases.append({"url": reverse("web:patient_detail", args=[pid]),
                                       "patient": appt.patient,
                                       "on": clock.local_date(appt.location, appt.start),
                                       "who": "", "detail": str(state)})
    return [unsupervised, unlicensed, overdue, consents]


def rebook_cases(clinic: Clinic, *, now: dt.datetime) -> list[Appointment]:
    return list(Appointment.objects.filter(clinic_id=clinic.pk, status=Status.BOOKED,
                                           start__gte=now - dt.timedelta(days=1))
                .exclude(flag="").select_related("patient", "location").order_by("start"))

