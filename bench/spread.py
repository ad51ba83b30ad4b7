"""How the bench shares users, plans and drafts out among clients and connections."""

from __future__ import annotations

from typing import Any


def round_robin(users: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Users ordered one clinic after another (client or connection n is users[n]), so
    a few clients already spread over the clinics."""
    by_clinic: dict[int, list[tuple[str, int]]] = {}
    for u in sorted(users):
        by_clinic.setdefault(u[1], []).append(u)
    queues = [by_clinic[c] for c in sorted(by_clinic)]
    out = []
    for i in range(max((len(q) for q in queues), default=0)):
        out.extend(q[i] for q in queues if i < len(q))
    return out


def split(items: list[Any], k: int, parts: int) -> list[Any]:
    """The k-th of ``parts`` disjoint shares of items (round robin)."""
    return items[k::parts]
