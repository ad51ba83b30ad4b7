"""Views and API handlers only translate HTTP: every write goes through a service.

Reads the source of every view module and API handler module and fails on a model write
method called there (``.save()``, ``.delete()``, ``.objects.create`` and friends, and
``.update()`` on a queryset), so the web and the API cannot drift apart again."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "puncta"
# The API's handler modules are those declaring a router (api/tokens.py is a service).
DOORS = sorted([*SRC.glob("*/views.py"), *SRC.glob("*/*/views.py"),
                *(p for p in SRC.glob("api/*.py") if "Router(" in p.read_text())])
ALWAYS = {"save", "delete", "bulk_create", "bulk_update", "get_or_create",
          "update_or_create"}
# Calls that look like writes but are not model writes, with the reason.
NOT_MODEL = {
    ("patients/intake/views.py", "image.save"): "a QR code image written to a buffer",
    ("outcomes/views.py", "image.save"): "a QR code image written to a buffer",
}
# Known debt, to move into a service (kept visible here, not hidden): the FHIR bulk-export
# job bookkeeping written by its views.
KNOWN_DEBT = {"fhir/views.py": {"ExportJob.objects.create",
                                 "ExportJob.objects.filter(pk=job.pk).update"}}


def _receiver(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every expression
        return ""


def writes_in(path: Path) -> list[str]:
    return writes_in_text(path.read_text(), str(path.relative_to(SRC)))


def writes_in_text(text: str, rel: str) -> list[str]:
    tree = ast.parse(text)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name, receiver = node.func.attr, _receiver(node.func.value)
        if (rel, f"{receiver}.{name}") in NOT_MODEL or \
                f"{receiver}.{name}" in KNOWN_DEBT.get(rel, set()):
            continue
        queryset = ".objects" in receiver or ".filter(" in receiver or \
            receiver.endswith(".objects")
        always = name in ALWAYS and not (name == "delete" and receiver.startswith("router"))
        if always or (name in ("create", "update") and queryset):
            found.append(f"{rel}:{node.lineno}: {receiver}.{name}(...)")
    return found


def test_the_scan_sees_the_doors():
    names = {str(p.relative_to(SRC)) for p in DOORS}
    assert {"web/views.py", "api/patients.py", "scheduling/views.py"} <= names


@pytest.mark.parametrize("path", DOORS, ids=lambda p: str(p.relative_to(SRC)))
def test_no_model_write_outside_services(path):
    assert writes_in(path) == []


def test_the_scan_catches_a_write():
    text = ("def f(p, X):\n    p.save()\n    X.objects.filter(a=1).update(b=2)\n"
            "    X.objects.create(a=1)\n    ctx = {}\n    ctx.update(a=1)\n")
    found = writes_in_text(text, "web/views.py")
    assert [f.split(": ", 1)[1] for f in found] == [
        "p.save(...)", "X.objects.filter(a=1).update(...)", "X.objects.create(...)"]
