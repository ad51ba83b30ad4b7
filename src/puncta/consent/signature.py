"""Drawn signatures: strokes of points captured on screen, checked and turned into SVG.

The browser sends numbers only; the SVG is built here, so no markup from the client is
ever stored or shown.
"""

from __future__ import annotations

import json
import math
from typing import Any

WIDTH, HEIGHT = 600, 200
MAX_POINTS = 5000


class BadSignature(ValueError):
    pass


def parse_strokes(raw: str) -> list[list[tuple[float, float]]]:
    try:
        data: Any = json.loads(raw or "[]")
    except ValueError:
        raise BadSignature("unreadable signature") from None
    if not isinstance(data, list):
        raise BadSignature("unreadable signature")
    strokes: list[list[tuple[float, float]]] = []
    total = 0
    for stroke in data[:200]:
        if not isinstance(stroke, list):
            raise BadSignature("unreadable signature")
        points = []
        for p in stroke:
            if (not isinstance(p, list) or len(p) != 2
                    or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in p)):
                raise BadSignature("unreadable signature")
            x, y = float(p[0]), float(p[1])
            if not (math.isfinite(x) and math.isfinite(y)):  # NaN/Infinity: not a point
                raise BadSignature("unreadable signature")
            points.append((min(max(x, 0.0), WIDTH), min(max(y, 0.0), HEIGHT)))
        total += len(points)
        if len(points) >= 2:
            strokes.append(points)
    if total > MAX_POINTS:
        raise BadSignature("signature too long")
    if not strokes or sum(len(s) for s in strokes) < 5:
        raise BadSignature("empty signature")
    return strokes


def to_svg(strokes: list[list[tuple[float, float]]]) -> str:
    paths = []
    for stroke in strokes:
        d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in stroke)
        paths.append(f'<path d="{d}"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'fill="none" stroke="#111" stroke-width="2.5" stroke-linecap="round" '
            f'stroke-linejoin="round">{"".join(paths)}</svg>')
