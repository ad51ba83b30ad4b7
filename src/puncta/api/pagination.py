"""The one pagination of the API: ``limit`` and ``offset`` with bounds, answered as
``{count, limit, offset, items}`` for every list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

T = TypeVar("T")

MAX_LIMIT = 100
# Far beyond any clinic's list, and small enough for every database's integer.
MAX_OFFSET = 1_000_000


class PageIn(Schema):
    limit: int = Field(25, ge=1, le=MAX_LIMIT, description="items per page")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="items to skip")


class Page(Schema, Generic[T]):
    count: int
    limit: int
    offset: int
    items: list[T]


def page(rows: QuerySet[Any] | Sequence[Any], params: PageIn) -> dict[str, Any]:
    """Slice ``rows`` (a queryset is counted and sliced in the database)."""
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    items = list(rows[params.offset: params.offset + params.limit])
    return {"count": count, "limit": params.limit, "offset": params.offset, "items": items}
