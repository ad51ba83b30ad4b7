"""The one shape of a domain refusal, shared by every app's services.

A service refuses with a ``DomainError`` (or a subclass): a stable ``code`` for programs,
a ``message`` for people, the ``field`` it concerns when there is one, and the HTTP
``status`` the API door answers with. Each door maps it once (``puncta.api.errors`` for
the JSON API; views show the message next to the field)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 422
    default_code = "invalid"

    def __init__(self, message: Any = "", *, code: str = "", field: str = "",
                 status: int | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code or self.default_code
        self.field = field
        if status is not None:
            self.status = status

    def details(self) -> dict[str, Any]:
        """Extra members of the JSON error body (e.g. every refusal of a booking)."""
        return {}


NUL = "\x00"


def nul_path(value: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Where a NUL character hides in a value (strings, keys, lists, dicts), else None.

    PostgreSQL refuses NUL in text and in JSON, so both doors refuse it at the edge."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                return (*path, key)
            found = nul_path(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = nul_path(item, (*path, i))
            if found is not None:
                return found
    return None
