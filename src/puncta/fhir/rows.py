"""Plain rows for the bulk export: a registry queryset read with ``.values()`` and handed
to the same builders as model instances.

Building a Django model instance costs tens of microseconds (more with ``select_related``,
one instance per related row); the export writes hundreds of thousands of resources. A
``Row`` is a bare attribute bag over the values dict: ``row.template.title`` for a
``select_related`` path, ``row.zones.all()`` for a ``prefetch_related`` one (fetched once
per chunk, one query per relation). Only for builders that use attributes alone (no model
methods); the registry says which (``Source.plain``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Model, QuerySet


class Row:
    """A record as plain attributes (``pk`` is its ``id``)."""

    @property
    def pk(self) -> Any:
        return self.__dict__["id"]


class Many(list):  # type: ignore[type-arg]
    """A prefetched relation: ``.all()`` as on a related manager."""

    def all(self) -> Many:
        return self


def _fields(model: type[Model], prefix: str, deferred: set[str], only: set[str] | None
            ) -> list[str]:
    out = []
    for f in model._meta.concrete_fields:
        path = prefix + f.name
        if path in deferred or (only is not None and f.attname != "id" and path not in only
                                and prefix + f.attname not in only):
            continue
        out.append(prefix + f.attname)
    return out


def _select_paths(model: type[Model], tree: dict[str, Any], prefix: str, deferred: set[str],
                  only: set[str] | None) -> list[str]:
    out: list[str] = []
    for name, sub in tree.items():
        rel = model._meta.get_field(name).related_model
        assert rel is not None and not isinstance(rel, str)
        out += _fields(rel, f"{prefix}{name}__", deferred, None)
        out += _select_paths(rel, sub, f"{prefix}{name}__", deferred, only)
    return out


def value_paths(qs: QuerySet[Any]) -> list[str]:
    """The ``.values()`` paths that load what the queryset would: its model's fields (less
    ``defer``, or only ``only``), those of its ``select_related`` relations, its
    annotations."""
    names, is_defer = qs.query.deferred_loading
    deferred = set(names) if is_defer else set()
    only = None if is_defer else set(names)
    paths = _fields(qs.model, "", deferred, only)
    tree = qs.query.select_related
    if isinstance(tree, dict):
        paths += _select_paths(qs.model, tree, "", deferred, only)
    return paths + list(qs.query.annotations)


Plan = tuple[list[str], list[tuple[tuple[str, ...], list[tuple[str, str]]]]]


def _plan(paths: list[str]) -> Plan:
    """Top-level keys, and per related path (parents first) its (key, attribute) pairs."""
    top: list[str] = []
    related: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for p in paths:
        *rel, leaf = p.split("__")
        if rel:
            for i in range(1, len(rel)):
                related.setdefault(tuple(rel[:i]), [])
            related.setdefault(tuple(rel), []).append((p, leaf))
        else:
            top.append(p)
    return top, sorted(related.items(), key=lambda kv: len(kv[0]))


def _row(values: dict[str, Any], plan: Plan) -> Row:
    top, related = plan
    row = Row()
    attrs = row.__dict__
    for key in top:
        attrs[key] = values[key]
    for path, pairs in related:
        child = Row()
        child.__dict__.update({leaf: values[key] for key, leaf in pairs})
        parent = row
        for part in path[:-1]:
            parent = parent.__dict__[part]
        parent.__dict__[path[-1]] = child
    return row


def _prefetch(model: type[Model], name: str, rows: list[Row]) -> None:
    """One query for a reverse foreign key over a chunk of rows."""
    field = model._meta.get_field(name)
    related = field.related_model
    assert related is not None and not isinstance(related, str)
    fk = field.field.attname  # type: ignore[union-attr]
    by_parent: dict[Any, Many] = {}
    for r in rows:
        by_parent[r.pk] = r.__dict__[name] = Many()
    paths = _fields(related, "", set(), None)
    plan = _plan(paths)
    qs = related._default_manager.filter(**{f"{fk}__in": list(by_parent)})
    for values in qs.order_by("pk").values(*paths):
        by_parent[values[fk]].append(_row(values, plan))


def plain_rows(qs: QuerySet[Any], chunk: int, fields: tuple[str, ...] = ()) -> Iterator[Row]:
    """The queryset's rows as ``Row`` objects in primary-key order, ``chunk`` at a time:
    the given ``.values()`` paths (``id`` always), or all that the queryset would load.

    Paged by key (``pk > last … LIMIT chunk``), not by a server-side cursor: memory stays
    flat behind PgBouncer too (where server-side cursors are off and a cursor would load
    the whole result), and no cursor outlives its query."""
    paths = (["id", *(f for f in fields if f != "id"), *qs.query.annotations] if fields
             else value_paths(qs))
    plan = _plan(paths)
    prefetch = [str(name) for name in qs._prefetch_related_lookups]
    qs = qs.order_by("pk")
    last = None
    while True:
        page = qs if last is None else qs.filter(pk__gt=last)
        batch = [_row(values, plan) for values in page.values(*paths)[:chunk]]
        if not batch:
            return
        for name in prefetch:
            _prefetch(qs.model, name, batch)
        yield from batch
        if len(batch) < chunk:
            return
        last = batch[-1].pk
