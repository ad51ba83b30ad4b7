"""Reads and search pages cost a fixed number of queries, whatever the data: pinned for
every resource type, before and after a second full patient record is added."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from puncta.fhir.registry import SPECS
from puncta.outcomes import services as outcomes

from ..outcomes.conftest import jpeg
from ..scheduling.conftest import actor_of, ready_patient
from .conftest import charted, entries, fhir_client

pytestmark = pytest.mark.django_db



def _rows(src) -> int:
    """The row query and one per prefetched relation."""
    return 1 + len(src.queryset(1)._prefetch_related_lookups)


def audit_queries(personas, n):
    """What the audit write of n resources costs (the audit app's business: measured, not
    assumed; in a served request its transaction adds BEGIN and COMMIT, here a savepoint
    of the test's transaction that is not captured)."""
    from puncta.audit.services import Actor
    from puncta.fhir.search import Hit, audit

    src = SPECS["Patient"].sources[0]
    rows = list(src.queryset(personas.clinic.pk)[:n])
    actor = Actor(user=personas.physician.user, role=personas.physician.role,
                  clinic_id=personas.clinic.pk)
    audit(actor, "list", [Hit(src, rows[0])])  # the chain's head exists from here on
    with CaptureQueriesContext(connection) as q:
        audit(actor, "list", [Hit(src, r) for r in rows])
    return len(q)


def expected(spec, audit):
    """(search page, read): token, rows, audit; the audit log's page first finds its
    snapshot bound (one query per source)."""
    page = 1 + sum(_rows(s) for s in spec.sources) + audit
    if spec.snapshot:
        page += len(spec.sources)
    return page, 1 + _rows(spec.sources[0]) + audit


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as q:
        response = client.get(url, params or {})
        assert response.status_code == 200, (url, response.content)
    return len(q), response


def _grow(personas, record):
    patient = ready_patient(personas, family_name="Second")
    done = charted(personas, record["device"], patient, lot_number="LOT-B2", hour=13)
    nurse = actor_of(personas.nurse)
    outcomes.photo_add(actor=nurse, patient=patient, plan=done["plan"], data=jpeg(),
                       view="left45", when=outcomes.When("baseline"))
    outcomes.assessment_record(actor=nurse, patient=patient, plan=done["plan"],
                               scale="gb_qualitative", answers={"grade": 2},
                               when=outcomes.When("baseline"))


def test_each_read_and_search_page_costs_fixed_queries(personas, record):
    client = fhir_client(personas.physician)
    client.get("/fhir/Patient")  # the audit chain's head exists from here on

    def measure():
        out = {}
        for rtype in SPECS:
            page, bundle = _count(client, f"/fhir/{rtype}", {"_count": 50})
            found = entries(bundle.json())
            one, _ = _count(client, f"/fhir/{rtype}/{found[0]['id']}")
            out[rtype] = (page, one, len(found))
        return out

    before = measure()
    _grow(personas, record)
    after = measure()
    audit = audit_queries(personas, 1)
    assert audit_queries(personas, 3) == audit  # one write for a whole page
    for rtype, spec in SPECS.items():
        assert before[rtype][:2] == after[rtype][:2] == expected(spec, audit), \
            (rtype, before[rtype], after[rtype])
    grew = [t for t in SPECS if after[t][2] > before[t][2]]
    assert {"Patient", "Procedure", "Observation", "Media", "Appointment"} <= set(grew)


def test_metadata_is_built_once(personas):
    client = fhir_client(personas.physician)
    first = client.get("/fhir/metadata")
    n, again = _count(client, "/fhir/metadata")
    assert n == 0 and again.content == first.content
