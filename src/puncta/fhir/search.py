"""Read and search over the registry: clinic-scoped, keyset-paged, audited.

Paging is by keyset, never by offset: the ``next`` link carries the last row's sort key
and id, so a page boundary stays put when records are added before it and a deep page
costs what the first one costs.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict

from puncta.audit.models import Action
from puncta.audit.services import Actor, Entry, record_many

from .builders import Ctx, Json
from .errors import FhirError
from .registry import SPECS, Source, Spec

DEFAULT_COUNT = 20
MAX_COUNT = 500
# Parameters that shape the result rather than filter it.
CONTROL = {"_count", "_sort", "_include", "_total", "_totalMethod", "_cursor", "_format",
           "_pretty"}


@dataclass
class Page:
    resources: list[Json]
    included: list[Json] = field(default_factory=list)
    next_cursor: str | None = None
    total: int | None = None
    ignored: list[str] = field(default_factory=list)


@dataclass
class Hit:
    """A row and the source it came from (for the audit entry)."""

    source: Source
    obj: Any


def spec_for(rtype: str) -> Spec:
    spec = SPECS.get(rtype)
    if spec is None:
        raise FhirError(404, f"This server does not serve {rtype!r} resources.",
                        code="not-supported")
    return spec


# --- audit ---------------------------------------------------------------------------------

def _entry(action: str, hit: Hit) -> Entry:
    obj = hit.obj
    patient_id = getattr(obj, hit.source.patient) if hit.source.patient else None
    return Entry(action, obj._meta.label_lower, str(obj.pk), patient_id,
                 data={"via": "fhir"})


def audit(actor: Actor, action: str, hits: Iterable[Hit]) -> None:
    """One insert for the whole page: an event per resource returned."""
    record_many(actor, [_entry(action, h) for h in hits])


# --- read ----------------------------------------------------------------------------------

def read(spec: Spec, clinic: Any, rid: str, ctx: Ctx, actor: Actor) -> Json:
    found = spec.source_for(rid)
    obj = None
    if found is not None:
        src, pk = found
        # A slice, not .first(): the primary key is unique, so no ORDER BY to compile.
        obj = next(iter(src.queryset(clinic.pk).filter(pk=pk).order_by()[:1]), None)
    if obj is None:
        raise FhirError(404, f"{spec.type}/{rid} is not known here.")
    resource = src.build(obj, ctx)
    audit(actor, Action.READ, [Hit(src, obj)])
    return resource


# --- search --------------------------------------------------------------------------------

def _filters(src: Source, params: QueryDict, clinic: Any) -> Q | None:
    """The source's filter for the query, or None if the query cannot match it."""
    parsers = src.all_params()
    q = Q()
    for name in params:
        if name in CONTROL:
            continue
        base = name.split(":", 1)[0]
        for value in params.getlist(name):
            if not value:
                continue
            if base == "_id":
                ids = []
                for part in value.split(","):
                    if part.startswith(src.prefix) and part[len(src.prefix):].isdigit():
                        ids.append(int(part[len(src.prefix):]))
                if not ids:
                    return None
                q &= Q(pk__in=ids)
            elif base in parsers:
                q &= parsers[base](value, clinic)
    return q


def _count(params: QueryDict) -> int:
    raw = params.get("_count", str(DEFAULT_COUNT))
    try:
        n = int(raw)
    except ValueError:
        raise FhirError(400, f"_count must be a whole number, not {raw!r}.") from None
    if n < 0:
        raise FhirError(400, "_count must not be negative.")
    return min(n, MAX_COUNT)


def _sort(spec: Spec, params: QueryDict) -> tuple[str, bool]:
    raw = (params.get("_sort") or "_id").split(",")[0].strip()
    desc = raw.startswith("-")
    key = raw.lstrip("-")
    if key not in spec.sort_keys:
        raise FhirError(400, f"Cannot sort {spec.type} by {key!r}; sort keys: "
                             f"{', '.join(spec.sort_keys)}.")
    return key, desc


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def encode_cursor(src: int, key: Any, pk: int, upto: int | None = None) -> str:
    raw = json.dumps([src, _jsonable(key), pk, upto], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[int, Any, int, int | None]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        src, key, pk, upto = json.loads(raw)
        if not (isinstance(src, int) and isinstance(pk, int)
                and (upto is None or isinstance(upto, int))):
            raise ValueError
        return src, key, pk, upto
    except (ValueError, TypeError):
        raise FhirError(400, "The paging cursor is not valid; start from the first page.")\
            from None


def _ordered(qs: QuerySet[Any], field_name: str, desc: bool) -> QuerySet[Any]:
    sign = "-" if desc else ""
    if field_name == "pk":
        return qs.order_by(f"{sign}pk")
    return qs.order_by(f"{sign}{field_name}", f"{sign}pk")


def _after(field_name: str, desc: bool, key: Any, pk: int) -> Q:
    op = "lt" if desc else "gt"
    if field_name == "pk":
        return Q(**{f"pk__{op}": pk})
    return Q(**{f"{field_name}__{op}": key}) | Q(**{field_name: key, f"pk__{op}": pk})


def matching(spec: Spec, clinic: Any, params: QueryDict
             ) -> list[tuple[int, Source, QuerySet[Any]]]:
    """(index in the spec, source, filtered queryset) for each source the query can match."""
    out = []
    for i, src in enumerate(spec.sources):
        q = _filters(src, params, clinic)
        if q is not None:
            out.append((i, src, src.queryset(clinic.pk).filter(q)))
    return out


def search(spec: Spec, clinic: Any, params: QueryDict, ctx: Ctx, actor: Actor, *,
           strict: bool = False) -> Page:
    known = set(spec.search_params) | CONTROL
    ignored = sorted({n for n in params if n.split(":", 1)[0] not in known})
    if ignored and strict:
        raise FhirError(400, f"Unknown search parameters: {', '.join(ignored)}.")
    count = _count(params)
    key, desc = _sort(spec, params)
    cursor = decode_cursor(params["_cursor"]) if params.get("_cursor") else None
    sources = matching(spec, clinic, params)
    upto = None
    if spec.snapshot:
        upto = cursor[3] if cursor is not None else max(
            (qs.order_by("-pk").values_list("pk", flat=True).first() or 0
             for _, _, qs in sources), default=0)
        sources = [(i, src, qs.filter(pk__lte=upto)) for i, src, qs in sources]
    want_total = (params.get("_total") == "accurate" or "_totalMethod" in params
                  or count == 0)
    total = sum(qs.count() for _, _, qs in sources) if want_total else None

    hits: list[Hit] = []
    next_cursor = None
    for i, src, qs in sources:
        if count == 0:
            break
        if cursor is not None and i < cursor[0]:
            continue
        field_name = src.sorts[key]
        qs = _ordered(qs, field_name, desc)
        if cursor is not None and i == cursor[0]:
            qs = qs.filter(_after(field_name, desc, cursor[1], cursor[2]))
        room = count - len(hits)
        rows = list(qs[: room + 1])
        hits.extend(Hit(src, o) for o in rows[:room])
        if len(rows) > room or (len(hits) == count and any(
                q.exists() for j, _, q in sources if j > i)):
            # Either this source has more, or the page ends exactly at its end and a
            # later source has rows: both continue after the last row returned.
            last = hits[-1].obj
            next_cursor = encode_cursor(i, getattr(last, field_name), last.pk, upto)
            break

    resources = [h.source.build(h.obj, ctx) for h in hits]
    included, inc_hits = _includes(spec, clinic, params, hits, ctx, actor)
    audit(actor, Action.LIST, hits + inc_hits)
    return Page(resources, included, next_cursor, total, ignored)


def _includes(spec: Spec, clinic: Any, params: QueryDict, hits: list[Hit], ctx: Ctx,
              actor: Actor) -> tuple[list[Json], list[Hit]]:
    from puncta.accounts.roles import has_perm

    resources: list[Json] = []
    inc_hits: list[Hit] = []
    for name in params.getlist("_include"):
        if name not in spec.includes:
            raise FhirError(400, f"_include={name} is not supported; supported: "
                                 f"{', '.join(spec.includes) or 'none'}.")
        target_type, attr = spec.includes[name]
        target = SPECS[target_type]
        if not has_perm(actor.role, target.perm):
            raise FhirError(403, f"Your role may not read {target_type} resources.")
        ids = {getattr(h.obj, attr) for h in hits} - {None}
        src = target.sources[0]
        for obj in src.queryset(clinic.pk).filter(pk__in=ids).order_by("pk"):
            resources.append(src.build(obj, ctx))
            inc_hits.append(Hit(src, obj))
    return resources, inc_hits


# --- Patient/$everything -------------------------------------------------------------------

def everything(clinic: Any, patient_id: str, ctx: Ctx, actor: Actor,
               allowed: Iterable[str]) -> tuple[list[Json], list[str]]:
    """The patient, the clinic, and every compartment resource the role may read.
    Returns the resources and the types left out for want of permission."""
    allowed = set(allowed)
    pspec = SPECS["Patient"]
    found = pspec.source_for(patient_id)
    patient = None
    if found is not None:
        patient = next(iter(pspec.sources[0].queryset(clinic.pk).filter(pk=found[1])
                            .order_by()[:1]), None)
    if patient is None:
        raise FhirError(404, f"Patient/{patient_id} is not known here.")
    hits = [Hit(pspec.sources[0], patient)]
    org_src = SPECS["Organization"].sources[0]
    hits.append(Hit(org_src, org_src.queryset(clinic.pk).get()))
    left_out = []
    for spec in SPECS.values():
        if not spec.in_compartment or spec.type == "Patient":
            continue
        if spec.type not in allowed:
            left_out.append(spec.type)
            continue
        for src in spec.sources:
            qs = src.queryset(clinic.pk).filter(**{src.patient: patient.pk}).order_by("pk")
            hits.extend(Hit(src, o) for o in qs)
    resources = [h.source.build(h.obj, ctx) for h in hits]
    audit(actor, Action.READ, hits)
    return resources, left_out
