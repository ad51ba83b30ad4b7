"""The export's fast path writes what the read path serves: a plain ``.values()`` row gives
the same resource as the model instance; the validation policies do what docs/fhir.md
says; the CLI's parallel processes write the same files as one process."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from puncta.fhir import export, validate
from puncta.fhir.builders import Ctx
from puncta.fhir.registry import SPECS
from puncta.fhir.rows import Row, plain_rows

pytestmark = pytest.mark.django_db
CTX = Ctx(origin="http://testserver")


def test_a_plain_row_builds_the_same_resource_as_the_model(personas, record):
    compared = set()
    for rtype, spec in SPECS.items():
        for src in spec.sources:
            if not src.plain:
                continue
            qs = src.queryset(personas.clinic.pk).order_by("pk")
            instances = list(qs)
            rows = list(plain_rows(qs, 2, src.fields))  # a chunk of 2: prefetch per chunk
            assert instances, f"no {rtype} on record"
            assert all(isinstance(r, Row) for r in rows)
            assert [src.build(r, CTX) for r in rows] == [src.build(o, CTX) for o in instances]
            compared.add(rtype)
    assert {"Patient", "Procedure", "CarePlan", "QuestionnaireResponse", "Observation",
            "Media", "DocumentReference"} <= compared


def test_shapes_validates_the_first_of_each_type_then_each_new_shape(monkeypatch):
    seen = []
    monkeypatch.setattr(validate, "validate", lambda r: seen.append(r) or r)
    check = validate.Checker("shapes")
    same = [{"resourceType": "Basic", "id": str(i), "code": {"text": "x"}}
            for i in range(validate.FIRST + 5)]
    for r in same:
        check(r)
    assert len(seen) == validate.FIRST  # after the first ones, that shape is known
    check({"resourceType": "Basic", "id": "n", "code": {"text": "x"}, "author": {}})
    check({"resourceType": "Basic", "id": 7, "code": {"text": "x"}})  # an int id: new shape
    assert len(seen) == validate.FIRST + 2 and check.shapes == 3
    everything = validate.Checker("all")
    for r in same:
        everything(r)
    assert everything.validated == len(same)
    with pytest.raises(ValueError):
        validate.Checker("some")


def test_shapes_catches_a_builder_that_drifts(personas, record):
    from pydantic import ValidationError

    spec = SPECS["Patient"]
    good = spec.sources[0].build

    def drifting(obj, ctx):
        return {**good(obj, ctx), "gender": 3}  # a number where FHIR wants a code

    drifted = dataclasses.replace(spec, sources=(dataclasses.replace(spec.sources[0],
                                                                   build=drifting),))
    with pytest.raises(ValidationError):
        export.write_type(io.BytesIO(), drifted, personas.clinic.pk, None, CTX,
                          check=validate.Checker("shapes"))


def test_cli_validation_modes(personas, record, tmp_path, capsys):
    for mode in ("all", "shapes", "none"):
        call_command("export", str(tmp_path / mode), "--clinic", str(personas.clinic.pk),
                     "--validate", mode)
        assert f"validation: {mode}" in capsys.readouterr().out
    files = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert "Observation.ndjson" in files and "Media.ndjson" in files
    for name in files:
        assert (tmp_path / "all" / name).read_bytes() == (tmp_path / "none" / name).read_bytes()
    for line in (tmp_path / "all" / "Media.ndjson").read_text().splitlines():
        assert "data" not in json.loads(line)["content"]


@pytest.mark.django_db(transaction=True)
def test_cli_parallel_writes_what_one_process_writes(personas, record, tmp_path, capsys):
    if connection.vendor == "sqlite":
        pytest.skip("forked processes need their own connections: PostgreSQL only")
    call_command("export", str(tmp_path / "one"), "--jobs", "1")
    # A connection the parent could not close (Django's close() returns early after a
    # close inside a transaction): the forked processes must still open their own.
    connection.ensure_connection()
    connection.closed_in_transaction = True
    try:
        call_command("export", str(tmp_path / "two"), "--jobs", "2")
    finally:
        connection.closed_in_transaction = False
    assert "2 processes" in capsys.readouterr().out
    one = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.ndjson"))
    two = sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*.ndjson"))
    assert one == two and one
    for rel in one:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes()
