"""Topical anaesthetic check for the charting step (product, amount, area, occlusion)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from .data import rules_data
from .findings import decide, fmt, make
from .model import Decision, Finding, RulesInputError


def _amount(value: float, field: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise RulesInputError(field, "must be a positive number")
    return float(value)


def check_numbing(
    product: str,
    amount_g: float,
    area_cm2: float,
    occluded: bool,
    *,
    broken_skin: bool = False,
    adult: bool = True,
    exclusions: Iterable[str] = (),
) -> Decision:
    """Check a numbing application. `exclusions`: the patient's condition/medication codes
    (e.g. from screening); those that exclude numbing cream refuse this step."""
    data = rules_data()
    prod = data.numbing_products.get(product)
    if prod is None:
        raise RulesInputError("product", f"must be one of: {', '.join(data.numbing_products)}")
    amount = _amount(amount_g, "amount_g")
    area = _amount(area_cm2, "area_cm2")
    out: list[Finding] = []
    for i, code in enumerate(exclusions):
        row = data.contras.get(code)
        if row is None:
            raise RulesInputError(f"exclusions[{i}]", f"unknown code {code!r}")
        if row.numbing:
            # At the numbing step itself the exclusion is a refusal of that step.
            out.append(
                make(
                    "numbing.excluded",
                    f"exclusions[{i}]",
                    code=f"numbing.{code}",
                    severity="refuse",
                    label=row.en,
                    label_fr=row.fr,
                    source=row.source,
                )
            )
    if not adult:
        out.append(make("numbing.paediatric", "adult", source=prod.source))
    else:
        if area > prod.adult_max_area_cm2:
            out.append(
                make(
                    "numbing.area_exceeded",
                    "area_cm2",
                    area=fmt(area),
                    max=fmt(prod.adult_max_area_cm2),
                    product=prod.en,
                    product_fr=prod.fr,
                    source=prod.source,
                )
            )
        if amount > prod.adult_max_g:
            out.append(
                make(
                    "numbing.dose_exceeded",
                    "amount_g",
                    amount=fmt(amount),
                    max=fmt(prod.adult_max_g),
                    product=prod.en,
                    product_fr=prod.fr,
                    source=prod.source,
                )
            )
        guide = prod.grams_per_10cm2 * area / 10
        if amount <= prod.adult_max_g and amount > guide * data.dose_tolerance:
            out.append(
                make(
                    "numbing.dose_above_guide",
                    "amount_g",
                    amount=fmt(amount),
                    area=fmt(area),
                    guide=fmt(round(guide, 1)),
                    source=f"{prod.source}; {data.dose_tolerance_source}",
                )
            )
    if occluded and area > data.occlusion_large_area_cm2:
        out.append(
            make(
                "numbing.occlusion_large_area",
                "occluded",
                area=fmt(area),
                max=fmt(data.occlusion_large_area_cm2),
                source=data.occlusion_source,
            )
        )
    if broken_skin:
        out.append(make("numbing.broken_skin", "broken_skin"))
    return decide(out)
