"""The name keys behind FHIR's Patient?name= search: filled for the patients already there
when the migration runs, and on PostgreSQL read from their index, not by a scan."""

from __future__ import annotations

import pytest
from django.db import connection

from puncta.patients.models import PatientNameKey, name_keys

from .factories import ClinicFactory, PatientFactory


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_keys_for_existing_patients():
    from django.db.migrations.executor import MigrationExecutor

    clinic = ClinicFactory()
    patients = [PatientFactory(clinic=clinic, given_name=f"Anne {i}", family_name="Léger")
                for i in range(3)]
    before = ("patients", "0008_patient_merged_into")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        assert "patients_patientnamekey" not in connection.introspection.table_names()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    for p in patients:
        p.refresh_from_db()
        keys = set(PatientNameKey.objects.filter(patient=p).values_list("clinic_id", "key"))
        assert keys == {(clinic.pk, k) for k in name_keys(p.search_name)}
        assert keys  # "anne 0 leger", "0 leger", "leger"


@pytest.mark.django_db
def test_postgresql_can_answer_a_name_prefix_from_the_key_index(personas):
    """The LIKE Django writes (key::text LIKE 'x%') is one the (clinic, key) index serves;
    whether the planner takes it at scale is measured by bench/fhir.py."""
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    from puncta.fhir.registry import _patient_name

    for i in range(30):
        PatientFactory(clinic=personas.clinic, family_name=f"Name{i}")
    keys = _patient_name("nam", personas.clinic).children[0][1]
    with connection.cursor() as cur:
        cur.execute("SET enable_seqscan = off")  # a table this small is scanned otherwise
        try:
            plan = keys.explain()
        finally:
            cur.execute("RESET enable_seqscan")
    assert "patient_name_key" in plan and "Index Cond" in plan, plan
    assert "~>=~" in plan, plan  # the prefix is a range of the index, not a filter
