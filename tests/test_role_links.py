"""Links only to what the role may open: every link on the main pages, followed as each
persona, opens (no 403). Links come from the permission table (accounts/roles.py)."""

from __future__ import annotations

import re

import pytest

from puncta.charting import services as charting

from .charting.conftest import book, make_lot
from .conftest import client_for
from .scheduling.conftest import acne_plan, actor_of, clinic_ready, ready_patient  # noqa: F401

pytestmark = pytest.mark.django_db

PERSONAS = ["physician", "nurse", "nurse_practitioner", "aesthetician", "front_desk",
            "clinic_admin"]
SKIP = re.compile(r"^/(logout|language|clinic/switch)|\.(pdf|ics|csv)$|format=csv|/start/")


@pytest.mark.parametrize("who", PERSONAS)
def test_every_link_on_the_main_pages_opens_for_the_role(personas, clinic_ready, who):  # noqa: F811
    from django.utils import timezone

    device = clinic_ready["device"]
    patient = ready_patient(personas, given_name="Chloé", family_name="Roy")
    plan = acne_plan(personas, patient, start=timezone.localdate())
    lot = make_lot(personas.clinic, device)
    appt = book(personas, plan, device, practitioner=personas.physician)
    chart = charting.chart_start(actor=actor_of(personas.physician), appointment=appt)
    client = client_for(getattr(personas, who))
    pages = ["/", "/patients/", f"/patients/{patient.pk}/", f"/plans/{plan.pk}/",
             "/calendar/", f"/appointments/{appt.pk}/", "/messages/", "/devices/",
             "/devices/lots/", f"/devices/lots/{lot.pk}/"]
    if who not in ("front_desk", "clinic_admin"):
        pages += ["/charts/", f"/charts/{chart.pk}/"]
    seen: set[str] = set()
    refused: dict[str, str] = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, (who, page, response.status_code)
        for href in re.findall(r'href="(/[^"#]*)', response.content.decode()):
            href = href.replace("&amp;", "&")
            if href in seen or SKIP.search(href) or href.startswith("/static/"):
                continue
            seen.add(href)
            status = client.get(href).status_code
            if status in (403, 404, 405):
                refused[href] = f"{status} (linked from {page})"
    assert len(seen) > 15  # the pages do link somewhere
    assert refused == {}, who
