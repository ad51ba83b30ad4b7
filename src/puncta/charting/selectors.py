"""Reads of charts: scoped to one clinic (another clinic's chart is a 404), with their
related rows fetched up front so pages run a constant number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from puncta.accounts.models import Membership
from puncta.accounts.roles import has_perm, roles_with
from puncta.devices.models import CartridgeLot, Device
from puncta.scheduling.models import Appointment, Kind, Status

from .models import AdverseEvent, Chart, ChartStatus

RELATED = ("patient__clinic", "practitioner__user", "supervisor__user", "device__licence",
           "lot__product", "plan", "appointment__location", "signed_by", "cosigned_by",
           "lot_draw", "clinic")


def chart_get(clinic_id: int, pk: Any) -> Chart:
    try:
        return Chart.objects.select_related(*RELATED).get(pk=pk, clinic_id=clinic_id)
    except (Chart.DoesNotExist, ValueError, TypeError):
        raise Http404("No such chart") from None


def charts_of_patient(clinic_id: int, patient_id: int) -> QuerySet[Chart]:
    return (Chart.objects.filter(clinic_id=clinic_id, patient_id=patient_id)
            .select_related("practitioner__user", "supervisor__user").order_by("on", "id"))


def cosign_queue(member: Membership, pending: list[Chart] | None = None
                 ) -> list[dict[str, Any]]:
    """Charts waiting for this physician's co-signature, oldest first, with their age;
    over 72 hours they are flagged. ``pending``: the clinic's charts waiting for a
    co-signature (``pending_cosign``) when the caller read them."""
    now = timezone.now()
    if pending is None:
        pending = list(Chart.objects.filter(
            clinic_id=member.clinic_id, status=ChartStatus.PENDING_COSIGN,
            returned_at__isnull=True)
            .select_related("patient", "practitioner__user", "supervisor__user")
            .order_by("signed_at"))
    rows = []
    for c in pending:
        if c.returned_at is not None:
            continue
        mine = (c.supervisor.user_id == member.user_id if c.supervisor_id else
                c.practitioner.user_id == member.user_id)
        if not mine:
            continue
        age = now - (c.signed_at or c.created_at)
        rows.append({"chart": c, "age_hours": int(age.total_seconds() // 3600),
                     "overdue": age > dt.timedelta(hours=72)})
    return rows


def pending_cosign(member: Membership) -> list[Chart]:
    """In one query, the clinic's charts waiting for a co-signature (oldest first) and the
    member's own returned to them: the charting home shows both lists."""
    return list(Chart.objects.filter(clinic_id=member.clinic_id,
                                     status=ChartStatus.PENDING_COSIGN)
                .filter(Q(returned_at__isnull=True) | Q(practitioner=member))
                .select_related("patient", "practitioner__user", "supervisor__user",
                                "returned_by")
                .order_by("signed_at"))


def unsigned_drafts(clinic_id: int, *, member: Membership | None = None
                    ) -> list[dict[str, Any]]:
    """Drafts with their age since the session; unsigned after 72 hours they are flagged."""
    now = timezone.now()
    qs = (Chart.objects.filter(clinic_id=clinic_id, status=ChartStatus.DRAFT)
          .select_related("patient", "practitioner__user").order_by("on", "id"))
    if member is not None:
        qs = qs.filter(practitioner=member)
    rows = []
    for c in qs:
        age = now - c.created_at
        rows.append({"chart": c, "age_hours": int(age.total_seconds() // 3600),
                     "overdue": age > dt.timedelta(hours=72)})
    return rows


def to_chart_today(clinic_id: int, day: dt.date) -> QuerySet[Appointment]:
    """Treatments of the day (and the days before) not charted yet."""
    lo = timezone.make_aware(dt.datetime.combine(day - dt.timedelta(days=3), dt.time.min))
    hi = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    return (Appointment.objects.filter(clinic_id=clinic_id, kind=Kind.TREATMENT,
                                       status=Status.BOOKED, start__gte=lo, start__lt=hi,
                                       chart__isnull=True)
            .select_related("patient", "practitioner__user", "location").order_by("start"))


def adverse_events(clinic_id: int, status: str = "") -> QuerySet[AdverseEvent]:
    qs = AdverseEvent.objects.filter(clinic_id=clinic_id).select_related(
        "patient", "chart", "reported_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-occurred_on", "-id")


def adverse_event_get(clinic_id: int, pk: Any) -> AdverseEvent:
    try:
        return adverse_events(clinic_id).get(pk=pk)
    except (AdverseEvent.DoesNotExist, ValueError, TypeError):
        raise Http404("No such adverse event") from None


def clinic_choices(clinic_id: int) -> dict[str, Any]:
    members = list(Membership.objects.select_related("user").filter(
        clinic_id=clinic_id, is_active=True,
        role__in=roles_with("procedure.perform")).order_by("user__last_name", "user__first_name"))
    return {
        "practitioners": members,
        "physicians": [m for m in members if has_perm(m.role, "procedure.supervise")],
        "devices": list(Device.objects.filter(clinic_id=clinic_id, status="in_service")),
        "lots": list(CartridgeLot.objects.filter(clinic_id=clinic_id, quantity_left__gt=0,
                                                 quarantined_at__isnull=True)
                     .select_related("product").order_by("expiry")[:50]),
    }


def previous_signed(chart: Chart) -> Chart | None:
    """The patient's last signed chart before this one: what "copy from the last session"
    copies."""
    return (Chart.objects.filter(clinic_id=chart.clinic_id, patient_id=chart.patient_id,
                                 on__lte=chart.on)
            .exclude(pk=chart.pk).exclude(status=ChartStatus.DRAFT)
            .select_related("device").order_by("-on", "-id").first())


def signature_history(chart: Chart) -> list[dict[str, Any]]:
    """Every signature, co-signature, return and amendment of the chart, oldest first,
    from the audit log (an amendment that re-opens the co-signature no longer erases the
    earlier one from the page)."""
    from puncta.audit.models import AuditEvent
    from puncta.patients.models import Patient

    # Through the patient's events (an index of the log), not a scan of the whole log (at
    # 3.6 M events that was 0.6 s per chart page); the patient's merged duplicates too,
    # as the chart's events before a merge name the duplicate.
    patients = Patient.objects.filter(
        Q(pk=chart.patient_id) | Q(merged_into_id=chart.patient_id)).values("pk")
    events = (AuditEvent.objects.filter(clinic_id=chart.clinic_id, patient_id__in=patients,
                                        object_type="charting.chart", object_id=str(chart.pk))
              .select_related("actor").order_by("at", "id"))
    amendments = {a.number: a for a in chart.amendments.select_related("by")}
    rows: list[dict[str, Any]] = []
    for e in events:
        data = e.data or {}
        kind = ("signed" if data.get("signed") else "cosigned" if data.get("cosigned")
                else "returned" if data.get("returned") else "resubmitted"
                if data.get("resubmitted") else "")
        if kind:
            rows.append({"kind": kind, "at": e.at, "who": e.actor_label, "note": e.reason,
                         "sha256": data.get("sha256", "")})
    for a in amendments.values():
        rows.append({"kind": "amended", "at": a.at, "who": str(a.by), "note": a.reason,
                     "sha256": a.sha256, "number": a.number})
    return sorted(rows, key=lambda r: r["at"])
