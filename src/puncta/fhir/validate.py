"""Every resource Puncta serves or exports is checked against its fhir.resources R4B
model: a builder that drifts from the standard fails loudly instead of leaking."""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from typing import Any

from .builders import Json


@lru_cache(maxsize=64)
def model(resource_type: str) -> Any:
    module = import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    return getattr(module, resource_type)


def validate(resource: Json) -> Json:
    model(resource["resourceType"]).model_validate(resource)
    return resource


def warm_up() -> None:
    from .registry import SPECS

    for name in (*SPECS, "Bundle", "OperationOutcome", "CapabilityStatement"):
        model(name)
