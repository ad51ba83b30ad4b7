"""The patient's course on one page: sessions done with the depth per zone over time (a
server-rendered SVG, styled by classes only: the CSP forbids inline styles and scripts),
the next session's window, adverse events. Two queries whatever the number of sessions."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from puncta import rules
from puncta.plans.forms import zone_rows
from puncta.plans.models import PlanStatus, TreatmentPlan

from .forms import base_zone
from .models import AdverseEvent, Chart, ChartStatus

W, H, LEFT, RIGHT, TOP, BOTTOM = 640, 240, 44, 150, 16, 36
SERIES_CLASSES = 8


def course(patient_id: int, clinic_id: int, plans: list[TreatmentPlan]) -> dict[str, Any]:
    charts = list(Chart.objects.filter(patient_id=patient_id, clinic_id=clinic_id)
                  .select_related("plan", "practitioner__user").order_by("on", "id"))
    events = list(AdverseEvent.objects.filter(patient_id=patient_id, clinic_id=clinic_id)
                  .order_by("-occurred_on", "-id"))
    done = [c for c in charts if c.status != ChartStatus.DRAFT]
    drafts = [c for c in charts if c.status == ChartStatus.DRAFT]
    current = next((p for p in plans if p.superseded_at is None
                    and p.status == PlanStatus.ACTIVE), None)
    next_window = None
    if current is not None:
        root = current.series_id or current.pk
        # One session a day counts once; the rules want increasing dates.
        dates = sorted({c.on for c in done if c.plan is not None
                        and (c.plan.series_id or c.plan_id) == root})
        try:
            windows = rules.plan_course(current.indication, current.severity,
                                        start=current.start, done=dates)
        except rules.RulesInputError:
            windows = None  # more sessions than the course, or before its start
        pending = [w for w in windows.sessions if w.done is None] if windows else []
        if windows is None:
            next_window = None
        elif pending:
            next_window = {"number": pending[0].number, "earliest": pending[0].earliest,
                           "target": pending[0].target, "latest": pending[0].latest,
                           "of": len(windows.sessions)}
        else:
            m = windows.maintenance
            next_window = {"maintenance": True, "earliest": m.earliest, "latest": m.latest}
    return {"charts": done, "drafts": drafts, "events": events, "next_window": next_window,
            "svg": depth_chart(done), "table": depth_table(done)}


def _labels() -> dict[str, str]:
    return {r["code"]: str(r["label"]) for r in zone_rows()}


def _zone_label(code: str, labels: dict[str, str]) -> str:
    base = base_zone(code)
    side = code[len(base) + 1:]
    text = labels.get(base, base)
    return f"{text} ({_('left') if side == 'left' else _('right')})" if side else text


def depth_table(charts: list[Chart]) -> dict[str, Any]:
    labels = _labels()
    zones = sorted({z["zone"] for c in charts for z in c.content.get("zones", [])})
    rows = []
    for c in charts:
        by = {z["zone"]: z["depth_mm"] for z in c.content.get("zones", [])}
        rows.append({"chart": c, "depths": [by.get(z, "") for z in zones]})
    return {"zones": [_zone_label(z, labels) for z in zones], "rows": rows}


def depth_chart(charts: list[Chart]) -> SafeString:
    """Depth (mm) per zone, one line per zone, sessions left to right."""
    if not charts:
        return mark_safe("")
    labels = _labels()
    series: dict[str, list[tuple[int, float]]] = {}
    for i, c in enumerate(charts):
        for z in c.content.get("zones", []):
            series.setdefault(z["zone"], []).append((i, float(z["depth_mm"])))
    top = max([2.5] + [d for pts in series.values() for _i, d in pts])
    n = len(charts)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y(d: float) -> float:
        return TOP + plot_h * (1 - d / top)

    title = escape(_("Depth per zone over the sessions (mm)"))
    parts = [f'<svg class="depthchart" viewBox="0 0 {W} {H}" role="img" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>']
    step = 0.5
    tick = 0.0
    while tick <= top + 1e-9:
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(tick):.1f}" '
                     f'y2="{y(tick):.1f}"/><text class="axis" x="{LEFT - 6}" '
                     f'y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
        tick += step
    for i, c in enumerate(charts):
        parts.append(f'<text class="axis" x="{x(i):.1f}" y="{H - BOTTOM + 16}" '
                     f'text-anchor="middle">{escape(c.on.strftime("%Y-%m-%d"))}</text>')
    for k, (zone, pts) in enumerate(sorted(series.items())):
        cls = f"s{k % SERIES_CLASSES}"
        label = escape(_zone_label(zone, labels))
        coords = " ".join(f"{x(i):.1f},{y(d):.1f}" for i, d in pts)
        parts.append(f'<g class="series {cls}"><title>{label}</title>'
                     f'<polyline points="{coords}"/>')
        for i, d in pts:
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(d):.1f}" r="3.5"><title>{label}: '
                         f'{d:g} mm, {escape(charts[i].on.isoformat())}</title></circle>')
        ly = TOP + 14 * k + 8
        parts.append(f'<line x1="{W - RIGHT + 10}" x2="{W - RIGHT + 26}" y1="{ly}" y2="{ly}"/>'
                     f'<text class="legend" x="{W - RIGHT + 30}" y="{ly + 4}">{label}</text>'
                     "</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - escaped labels, numbers and constants

