"""A course's progress: one small server-built SVG per scale (score over time), with the
sessions marked by date and maximum depth. Styled by classes only (the CSP forbids inline
styles and scripts), like the course timeline's depth chart."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from puncta.charting.models import Chart
from puncta.rules import scales as rule_scales

from .models import Assessment

# Narrow enough to stay legible on a phone (the SVG scales to the card's width).
W, H, LEFT, RIGHT, TOP, BOTTOM = 420, 210, 34, 40, 30, 40


def label(obj: Any, attr: str = "") -> str:
    """The French or English text of a rules object for the active language."""
    fr = (get_language() or "en").startswith("fr")
    return str(getattr(obj, f"{attr}fr" if fr else f"{attr}en"))


def chart_svg(scale: rule_scales.Scale, points: list[Assessment],
              sessions: list[Chart]) -> SafeString:
    days = [a.on for a in points] + [c.on for c in sessions]
    if not points:
        return mark_safe("")
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    lo, hi = scale.minimum, max(scale.maximum, scale.minimum + 1)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(day: dt.date) -> float:
        return LEFT + plot_w * (day - first).days / span

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - lo) / (hi - lo))

    name = escape(label(scale))
    direction = escape(_("lower is better") if scale.better == "lower"
                       else _("higher is better"))
    parts = [f'<svg class="progresschart" viewBox="0 0 {W} {H}" role="img" '
             f'xmlns="http://www.w3.org/2000/svg" data-scale="{escape(scale.code)}">'
             f"<title>{name} ({direction})</title>",
             f'<text class="axis" x="{LEFT}" y="14">{name} · {direction}</text>']
    step = max(1, (hi - lo) // 5)
    for tick in range(lo, hi + 1, step):
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y(tick):.1f}" '
                     f'y2="{y(tick):.1f}"/><text class="axis" x="{LEFT - 6}" '
                     f'y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
    for n, c in enumerate(sessions, start=1):
        depth = c.max_depth
        text = escape(_("S%(n)s") % {"n": n} + (f" {depth:g} mm" if depth else ""))
        parts.append(f'<g class="session"><title>{escape(_("Session %(n)s") % {"n": n})}, '
                     f'{c.on.isoformat()}{escape(f", {depth:g} mm" if depth else "")}</title>'
                     f'<line x1="{x(c.on):.1f}" x2="{x(c.on):.1f}" y1="{TOP}" '
                     f'y2="{H - BOTTOM}"/><text class="axis" x="{x(c.on):.1f}" '
                     f'y="{H - BOTTOM + 14}" text-anchor="middle">{text}</text></g>')
    coords = " ".join(f"{x(a.on):.1f},{y(a.total):.1f}" for a in points)
    parts.append(f'<g class="series s0"><polyline points="{coords}"/>')
    for a in points:
        parts.append(f'<circle cx="{x(a.on):.1f}" cy="{y(a.total):.1f}" r="4"><title>'
                     f'{escape(a.timepoint_label)}: {a.total}, {a.on.isoformat()}</title>'
                     "</circle>")
    parts.append("</g>")
    parts.append(f'<text class="axis" x="{LEFT}" y="{H - 6}">{first.isoformat()}</text>'
                 f'<text class="axis" x="{W - RIGHT}" y="{H - 6}" text-anchor="end">'
                 f"{last.isoformat()}</text></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - escaped text, numbers and constants


def progress(assessments_by_scale: dict[str, list[Assessment]],
             sessions: list[Chart]) -> list[dict[str, Any]]:
    """One entry per scale with results: the chart, first and latest totals, the change."""
    out = []
    all_scales = rule_scales.scales()
    for code, points in assessments_by_scale.items():
        scale = all_scales.get(code)
        if scale is None or not points:
            continue
        first, latest = points[0], points[-1]
        change = (rule_scales.improvement(scale, first.total, latest.total)
                  if scale.kind == "status" and len(points) > 1 else None)
        out.append({"scale": scale, "name": label(scale), "svg": chart_svg(scale, points,
                                                                           sessions),
                    "first": first, "latest": latest, "change": change,
                    "responder": rule_scales.is_responder(
                        scale, latest.total, first.total if scale.kind == "status" else None)
                    if len(points) > 1 or scale.kind == "change" else None,
                    "points": points})
    return out
