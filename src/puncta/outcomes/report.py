"""What works, across the clinic: courses grouped by indication, severity, depth band and
number of sessions, with the mean change on the indication's primary scale (rules data),
the share of responders and adverse events per 100 sessions.

Four queries whatever the clinic's size (plans, signed charts, assessments, adverse
events). The CSV has one row per course and nothing that identifies a patient: no name,
record number, date of birth or date, and a course reference that is a keyed hash.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from puncta.charting.models import AdverseEvent, Chart, ChartStatus
from puncta.plans.models import TreatmentPlan
from puncta.rules import scales as rule_scales

from .models import Assessment
from .selectors import sort_key

DEPTH_BANDS = ((0.5, "≤0.5"), (1.0, "0.6–1.0"), (1.5, "1.1–1.5"), (2.0, "1.6–2.0"),
               (99.0, ">2.0"))


def depth_band(depth: float | None) -> str:
    if depth is None:
        return "—"
    return next(label for top, label in DEPTH_BANDS if depth <= top + 1e-9)


@dataclass
class CourseRow:
    ref: str
    indication: str
    severity: str
    sessions: int
    depth_band: str
    scale: str
    baseline: int | None
    latest: int | None
    change: int | None
    responder: bool | None
    adverse_events: int


def _ref(plan_id: int) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"course:{plan_id}".encode(),
                    hashlib.sha256).hexdigest()[:12]


def course_rows(clinic_id: int) -> list[CourseRow]:
    plans = list(TreatmentPlan.objects.filter(patient__clinic_id=clinic_id)
                 .only("id", "series_id", "version", "indication", "severity"))
    root_of = {p.pk: p.series_id or p.pk for p in plans}
    newest: dict[int, TreatmentPlan] = {}
    for p in plans:
        root = root_of[p.pk]
        if root not in newest or p.version > newest[root].version:
            newest[root] = p
    charts: dict[int, list[Chart]] = defaultdict(list)
    chart_root: dict[int, int] = {}
    for c in (Chart.objects.filter(clinic_id=clinic_id, plan__isnull=False)
              .exclude(status=ChartStatus.DRAFT).only("id", "plan_id", "content", "on")):
        root = root_of.get(c.plan_id or 0)
        if root is not None:
            charts[root].append(c)
            chart_root[c.pk] = root
    assessments: dict[tuple[int, str], list[Assessment]] = defaultdict(list)
    for a in Assessment.objects.filter(clinic_id=clinic_id, plan__isnull=False):
        assessments[(a.plan_id or 0, a.scale)].append(a)
    events: dict[int, int] = defaultdict(int)
    for chart_id in AdverseEvent.objects.filter(clinic_id=clinic_id, chart__isnull=False
                                                ).values_list("chart_id", flat=True):
        if chart_id in chart_root:
            events[chart_root[chart_id]] += 1
    rows = []
    for root, plan in newest.items():
        done = charts.get(root, [])
        if not done:
            continue
        scale = rule_scales.primary_scale(plan.indication)
        points = sorted(assessments.get((root, scale.code), []), key=sort_key) if scale else []
        baseline = points[0].total if len(points) > 1 else None
        latest = points[-1].total if len(points) > 1 else None
        change = (rule_scales.improvement(scale, baseline, latest)
                  if scale and baseline is not None and latest is not None else None)
        depths = [c.max_depth for c in done if c.max_depth is not None]
        rows.append(CourseRow(
            ref=_ref(root), indication=plan.indication, severity=plan.severity,
            sessions=len(done), depth_band=depth_band(max(depths) if depths else None),
            scale=scale.code if scale else "", baseline=baseline, latest=latest,
            change=change,
            responder=(rule_scales.is_responder(scale, latest, baseline)
                       if scale and latest is not None else None),
            adverse_events=events.get(root, 0)))
    rows.sort(key=lambda r: (r.indication, r.severity, r.depth_band, r.sessions, r.ref))
    return rows


def grouped(rows: list[CourseRow]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str, int], list[CourseRow]] = defaultdict(list)
    for r in rows:
        groups[(r.indication, r.severity, r.depth_band, r.sessions)].append(r)
    out = []
    for (indication, severity, band, sessions), members in sorted(groups.items()):
        changes = [r.change for r in members if r.change is not None]
        judged = [r for r in members if r.responder is not None]
        total_sessions = sum(r.sessions for r in members)
        ae = sum(r.adverse_events for r in members)
        out.append({
            "indication": indication, "severity": severity, "depth_band": band,
            "sessions": sessions, "courses": len(members), "measured": len(changes),
            "scale": members[0].scale,
            "mean_change": round(sum(changes) / len(changes), 2) if changes else None,
            "responders": sum(1 for r in judged if r.responder),
            "judged": len(judged),
            "responder_pct": round(100 * sum(1 for r in judged if r.responder) / len(judged))
            if judged else None,
            "adverse_events": ae,
            "ae_per_100": round(100 * ae / total_sessions, 1) if total_sessions else None,
        })
    return out


CSV_FIELDS = ("course_ref", "indication", "severity", "sessions", "depth_band", "scale",
              "baseline", "latest", "change", "responder", "adverse_events")


def to_csv(rows: list[CourseRow]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_FIELDS)
    for r in rows:
        writer.writerow([r.ref, r.indication, r.severity, r.sessions, r.depth_band, r.scale,
                         "" if r.baseline is None else r.baseline,
                         "" if r.latest is None else r.latest,
                         "" if r.change is None else r.change,
                         "" if r.responder is None else ("yes" if r.responder else "no"),
                         r.adverse_events])
    return buf.getvalue()
