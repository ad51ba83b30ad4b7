"""Estimated puncture density (derived), compared with the cited 250-300/cm² target."""

from __future__ import annotations

import math

from .data import rules_data
from .findings import decide, fmt, make
from .model import DensityEstimate, PenSpec, RollerSpec, RulesInputError, Technique


def _positive(value: float, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise RulesInputError(field, "must be a positive number")
    if not math.isfinite(value):
        raise RulesInputError(field, "must be a finite number")
    return float(value)


def per_pass(device: PenSpec | RollerSpec) -> float:
    if isinstance(device, PenSpec):
        # Each stamp puts `needles` holes; stamps per cm² = Hz / (glide cm/s x width cm).
        return (
            _positive(device.needles, "device.needles")
            * _positive(device.frequency_hz, "device.frequency_hz")
            / (
                _positive(device.glide_cm_s, "device.glide_cm_s")
                * _positive(device.width_cm, "device.width_cm")
            )
        )
    # One drum revolution covers pi x diameter x width cm² with every needle once.
    return _positive(device.needles, "device.needles") / (
        math.pi
        * _positive(device.drum_diameter_cm, "device.drum_diameter_cm")
        * _positive(device.drum_width_cm, "device.drum_width_cm")
    )


def puncture_density(device: PenSpec | RollerSpec, technique: Technique) -> DensityEstimate:
    data = rules_data()
    one = per_pass(device)
    passes = _positive(technique.passes, "technique.passes")
    total = one * passes
    findings = []
    template = (
        "density.below_target"
        if total < data.density_min
        else "density.above_target"
        if total > data.density_max
        else None
    )
    if template is not None:
        findings.append(
            make(
                template,
                "technique.passes",
                source=data.density_source,
                value=fmt(round(total)),
                min=fmt(data.density_min),
                max=fmt(data.density_max),
            )
        )
    return DensityEstimate(
        per_cm2=total,
        per_pass_cm2=one,
        target_min=data.density_min,
        target_max=data.density_max,
        decision=decide(findings),
    )
