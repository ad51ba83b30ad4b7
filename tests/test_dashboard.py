"""The "Today" dashboard per role (queues with a count and a link) and the compliance page
(each check reads 0 on a clean clinic, each count links to its cases); both in a constant
number of queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from puncta.charting.models import AdverseEvent, Chart
from puncta.devices.models import CartridgeLot, CartridgeProduct

from .conftest import client_for
from .scheduling.conftest import clinic_ready  # noqa: F401 - a fixture
from .test_query_counts import care_rows, same_for_2_and_50

pytestmark = pytest.mark.django_db

ROLE_QUEUES = {
    "physician": {"reviews", "cosign", "drafts", "returned", "to_chart", "adverse",
                  "followups", "lots", "checkins", "skipped", "rebook"},
    "nurse": {"drafts", "returned", "to_chart", "adverse", "followups", "lots", "checkins",
              "skipped", "rebook"},
    "aesthetician": {"drafts", "returned", "to_chart", "adverse", "followups", "lots",
                     "checkins", "skipped", "rebook"},
    "front_desk": {"checkins", "skipped", "rebook"},
    "clinic_admin": {"adverse", "followups", "lots", "checkins", "skipped", "rebook"},
}


def queues(html: str) -> dict[str, int]:
    return {k: int(n) for k, n in re.findall(
        r'data-queue="([a-z_]+)"><a href="[^"]*"><span class="count">(\d+)</span>', html)}


@pytest.mark.parametrize("who", sorted(ROLE_QUEUES))
def test_each_role_sees_its_queues_and_every_link_opens(personas, who):
    client = client_for(getattr(personas, who))
    html = client.get("/").content.decode()
    assert set(queues(html)) == ROLE_QUEUES[who]
    # links only to what the role may open
    for url in re.findall(r'data-queue="[a-z_]+"><a href="([^"#]*)', html):
        assert client.get(url).status_code == 200, (who, url)


def test_queues_count_what_waits(personas, clinic_ready):  # noqa: F811
    rows = care_rows(personas, clinic_ready["device"], 3)
    chart = Chart.objects.get(pk=rows["chart"])
    # 3 charts wait for the physician's co-signature; one of them over 72 hours
    Chart.objects.filter(pk=chart.pk).update(signed_at=timezone.now() - dt.timedelta(hours=80))
    AdverseEvent.objects.filter(pk=rows["ae"]).update(status="monitoring")
    product = CartridgeProduct.objects.create(clinic=personas.clinic, manufacturer="M",
                                              name="C", needle_count=12)
    today = timezone.localdate()
    CartridgeLot.objects.create(clinic=personas.clinic, product=product, lot_number="SOON",
                                expiry=today + dt.timedelta(days=10), quantity_received=5,
                                quantity_left=5, received_on=today)
    CartridgeLot.objects.create(clinic=personas.clinic, product=product, lot_number="LATER",
                                expiry=today + dt.timedelta(days=400), quantity_received=5,
                                quantity_left=5, received_on=today)
    html = client_for(personas.physician).get("/").content.decode()
    q = queues(html)
    assert q["cosign"] == 3 and q["adverse"] == 2 and q["followups"] == 1 and q["lots"] == 1
    assert 'class="queue urgent" data-queue="cosign"' in html  # one is overdue
    assert queues(client_for(personas.nurse).get("/").content.decode())["drafts"] == 0


@pytest.mark.parametrize("who", sorted(ROLE_QUEUES))
def test_dashboard_constant_queries(personas, clinic_ready, who):  # noqa: F811
    device = clinic_ready["device"]
    n = same_for_2_and_50(personas, lambda k: (care_rows(personas, device, k), "/")[1],
                          who=who, key="/")
    assert n <= 15


# --- compliance -----------------------------------------------------------------------

def checks(html: str) -> dict[str, int]:
    return {k: int(n) for k, n in re.findall(
        r'data-check="([a-z]+)"><a href="#check-[a-z]+"><span class="count">(\d+)</span>',
        html)}


def test_compliance_reads_zero_on_a_clean_clinic(personas):
    html = client_for(personas.physician).get("/compliance/").content.decode()
    assert checks(html) == {"supervision": 0, "device": 0, "cosign": 0, "consent": 0}


def test_compliance_only_for_the_director_and_the_administrator(personas):
    assert client_for(personas.clinic_admin).get("/compliance/").status_code == 200
    for who in ("nurse", "front_desk", "aesthetician"):
        assert client_for(getattr(personas, who)).get("/compliance/").status_code == 403
    personas.physician.is_medical_director = False
    personas.physician.save()
    assert client_for(personas.physician).get("/compliance/").status_code == 403
    assert "/compliance/" not in client_for(personas.physician).get("/").content.decode()


def test_compliance_cases_link_to_the_charts(personas, clinic_ready):  # noqa: F811
    device = clinic_ready["device"]
    rows = care_rows(personas, device, 2)
    Chart.objects.filter(pk=rows["chart"]).update(
        signed_at=timezone.now() - dt.timedelta(hours=100))
    device.licence = None
    device.save()
    Chart.objects.filter(clinic=personas.clinic).exclude(pk=rows["chart"]).update(
        supervisor=None, status="final")
    html = client_for(personas.clinic_admin).get("/compliance/").content.decode()
    c = checks(html)
    # one chart without a supervisor, one whose supervisor never attested
    assert c["cosign"] == 1 and c["device"] == 2 and c["supervision"] == 2
    assert f'href="/charts/{rows["chart"]}/"' in html
    assert re.search(r"(100|99) hours", html)


def test_compliance_constant_queries(personas, clinic_ready):  # noqa: F811
    device = clinic_ready["device"]
    same_for_2_and_50(personas, lambda k: (care_rows(personas, device, k), "/compliance/")[1],
                      key="/compliance/")


def test_compliance_lists_the_most_recent_cases_and_counts_them_all(personas, clinic_ready,  # noqa: F811
                                                                    monkeypatch):
    """A check counts every case but lists (and audits) only the most recent SHOWN: at
    100,000 patients a check with thousands of cases took 30 s to list and audit."""
    from puncta.audit.models import AuditEvent
    from puncta.web import selectors

    monkeypatch.setattr(selectors, "SHOWN", 1)
    device = clinic_ready["device"]
    care_rows(personas, device, 3)
    device.licence = None
    device.save()
    before = AuditEvent.objects.filter(object_type="compliance", object_id="device").count()
    html = client_for(personas.clinic_admin).get("/compliance/").content.decode()
    assert checks(html)["device"] == 3
    section = html[html.index('id="check-device"'):]
    section = section[:section.index("</section>")]
    assert section.count("<tr><td>") == 1 and 'data-more="2"' in section
    assert "2 more cases are not listed" in section
    assert AuditEvent.objects.filter(object_type="compliance",
                                     object_id="device").count() == before + 1


def test_a_review_cosignature_without_supervision_is_not_a_supervision_case(
        personas, clinic_ready):  # noqa: F811
    """The supervision check reads what the rules required (supervision_required), not
    every co-signature: a nurse's chart the rules sent for review, at a depth she may
    work alone, is co-signed but needs no supervising physician."""
    device = clinic_ready["device"]
    rows = care_rows(personas, device, 2)
    Chart.objects.filter(clinic=personas.clinic).update(supervisor=None, status="final")
    Chart.objects.exclude(pk=rows["chart"]).update(supervision_required=False,
                                                   verdict="review")
    html = client_for(personas.clinic_admin).get("/compliance/").content.decode()
    assert checks(html)["supervision"] == 1
    assert f'href="/charts/{rows["chart"]}/"' in html
