"""Bulk inserts without the ORM's per-value compilation: ids reserved up front (so rows
can point at each other before they are written), values converted once per field type,
then ``executemany`` on SQLite and ``COPY`` on PostgreSQL.

Model instances are still built (their defaults apply) and keep working afterwards: each
gets its primary key, as after ``bulk_create``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

Convert = Callable[[Any], Any]


def assign_ids(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Give the objects without a primary key the next ids of the table.

    PostgreSQL: drawn from the table's sequence (safe beside other writers). SQLite: max
    id + 1, safe because the seed's transactions take the write lock first (IMMEDIATE).
    """
    todo = [o for o in objs if o.pk is None]
    if not todo:
        return
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                "FROM generate_series(1, %s)", [table, len(todo)])
            ids = [r[0] for r in cur.fetchall()]
        else:
            if not connection.in_atomic_block:
                raise RuntimeError("assign_ids needs a transaction on SQLite")
            cur.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{table}"')  # noqa: S608
            first = cur.fetchone()[0] + 1
            ids = list(range(first, first + len(todo)))
    for obj, pk in zip(todo, ids, strict=True):
        obj.pk = pk


def _utc_text(v: dt.datetime | None) -> str | None:
    if v is None:
        return None
    return v.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


def _converter(field: models.Field) -> Convert | None:
    kind = field.get_internal_type()
    postgres = connection.vendor == "postgresql"
    if kind == "JSONField":
        if postgres:
            from psycopg.types.json import Jsonb

            return lambda v: None if v is None else Jsonb(v)
        return lambda v: None if v is None else json.dumps(v)
    if kind == "FileField":
        return lambda v: (v.name or "") if v else ""
    if postgres:
        return None
    if kind == "DateTimeField":
        return _utc_text
    if kind == "DateField":
        return lambda v: None if v is None else v.isoformat()
    if kind == "DecimalField":
        return lambda v: None if v is None else str(v)
    return None


def insert_rows(model: type[models.Model], attnames: Sequence[str],
                rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert plain tuples (values in ``attnames`` order, Python types) into the table:
    for the most numerous rows, where building model instances would dominate."""
    if not rows:
        return 0
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_name[a] for a in attnames]
    convs = [_converter(f) for f in fields]
    if any(convs):
        rows = [tuple(c(v) if c else v for c, v in zip(convs, row, strict=True))
                for row in rows]
    _write(model._meta.db_table, [f.column for f in fields], rows)
    return len(rows)


def json_text(value: Any) -> str:
    """A JSONField's value as written (Django's JSONField encodes with ``json.dumps``)."""
    return json.dumps(value)


def datetime_out() -> Convert:
    """How this database takes a timestamp in a bulk write (what ``_converter`` does for a
    DateTimeField), for rows built already converted."""
    return (lambda v: v) if connection.vendor == "postgresql" else _utc_text


def write_converted(model: type[models.Model], attnames: Sequence[str],
                    rows: Sequence[tuple[Any, ...]]) -> int:
    """Insert rows whose values are already as the database takes them (JSON as text:
    ``COPY`` parses it into ``jsonb`` on PostgreSQL); see ``datetime_out``."""
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    _write(model._meta.db_table, [by_name[a].column for a in attnames], rows)
    return len(rows)


def _write(table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    cols = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cur.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})',  # noqa: S608
                            rows)


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    class _Slot:
        pk = None

    slots = [_Slot() for _ in range(n)]
    assign_ids(model, slots)  # type: ignore[arg-type]
    return [s.pk for s in slots]  # type: ignore[misc]


def insert(model: type[models.Model], objs: Sequence[models.Model]) -> int:
    """Insert the objects (assigning ids first when they have none); returns the count."""
    if not objs:
        return 0
    assign_ids(model, objs)
    fields = [f for f in model._meta.concrete_fields]
    convs = [(f.attname, _converter(f)) for f in fields]
    rows = []
    for obj in objs:
        d = obj.__dict__
        rows.append(tuple(c(d[a]) if c else d[a] for a, c in convs))
    _write(model._meta.db_table, [f.column for f in fields], rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return len(objs)
