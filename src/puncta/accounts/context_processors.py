from django.http import HttpRequest

from .roles import PERMISSIONS, has_perm


class _Perms:
    """Template helper: ``{% if perms_for.audit__view %}`` reads ``audit.view``."""

    def __init__(self, role: str | None) -> None:
        self._role = role

    def __getattr__(self, name: str) -> bool:
        perm = name.replace("__", ".")
        if perm not in PERMISSIONS:
            raise AttributeError(name)
        return has_perm(self._role, perm)


def membership(request: HttpRequest) -> dict[str, object]:
    m = getattr(request, "membership", None)
    return {
        "membership": m,
        "clinic": getattr(request, "clinic", None),
        "perms_for": _Perms(m.role if m else None),
    }
