"""Resources checked against their fhir.resources R4B models: a builder that drifts from
the standard fails loudly instead of leaking.

Full pydantic validation costs about 1–4 ms a resource, so the bulk export offers three
policies (``Checker``): ``all`` validates every resource; ``shapes`` (the default)
validates the first ``FIRST`` resources of each type, and after that every resource whose
*shape* (the set of its element paths, each with the JSON type of its value) has not been
validated yet in this export; ``none`` validates nothing. One builder makes every
resource of a type, so two resources of one shape differ only in their values, and the
values the builders write are typed (dates and instants from ``isoformat()``, codes from
fixed tables): what ``shapes`` leaves unchecked is the content of free text and codes
inside a shape already seen valid.

Read and search responses are not re-validated per request: every builder's output is
validated in the tests (tests/fhir), including the CapabilityStatement walk.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from typing import Any

from .builders import Json

MODES = ("all", "shapes", "none")
FIRST = 10  # resources of each type validated whatever their shape


@lru_cache(maxsize=64)
def model(resource_type: str) -> Any:
    module = import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    return getattr(module, resource_type)


def validate(resource: Json) -> Json:
    model(resource["resourceType"]).model_validate(resource)
    return resource


def _paths(obj: Any, prefix: str, out: set[str]) -> None:
    if type(obj) is dict:
        for k, v in obj.items():
            path = prefix + "." + k
            t = type(v)
            if t is dict or t is list:
                out.add(path)
                _paths(v, path, out)
            else:
                out.add(path + ":" + t.__name__)
    else:  # a list: its items share the path
        for v in obj:
            t = type(v)
            if t is dict or t is list:
                _paths(v, prefix + "[]", out)
            else:
                out.add(prefix + "[]:" + t.__name__)


def shape(resource: Json) -> frozenset[str]:
    """The resource's element paths with their value types (values themselves ignored)."""
    out: set[str] = set()
    _paths(resource, resource.get("resourceType", ""), out)
    return frozenset(out)


class Checker:
    """Validates resources of one export by the chosen policy; counts what it did."""

    def __init__(self, mode: str = "shapes") -> None:
        if mode not in MODES:
            raise ValueError(f"validation mode {mode!r}: choose {', '.join(MODES)}")
        self.mode = mode
        self.seen: set[frozenset[str]] = set()
        self.per_type: dict[str, int] = {}
        self.validated = 0
        self.shapes = 0

    def __call__(self, resource: Json) -> None:
        if self.mode == "none":
            return
        if self.mode == "all":
            validate(resource)
            self.validated += 1
            return
        rtype = resource["resourceType"]
        n = self.per_type.get(rtype, 0)
        self.per_type[rtype] = n + 1
        key = shape(resource)
        if n < FIRST or key not in self.seen:
            validate(resource)
            self.validated += 1
            if key not in self.seen:
                self.seen.add(key)
                self.shapes += 1


def warm_up() -> None:
    from .registry import SPECS

    for name in (*SPECS, "Bundle", "OperationOutcome", "CapabilityStatement"):
        model(name)
