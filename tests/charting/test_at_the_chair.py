"""Charting at the chair: to-dos before refusals, citations one click away, the planned
zones first, copy from the last session; the aftercare sheet's contact and emergency."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from puncta.charting import services
from puncta.charting.models import Chart

from ..conftest import client_for
from .conftest import actor_of, book
from .test_flow import _data

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor_session(personas, session):  # type: ignore[no-untyped-def]
    """The same session performed by the physician (no supervision needed)."""
    appt = session["appt"]
    appt.practitioner = personas.physician
    appt.save()
    return session


def test_new_chart_shows_to_dos_not_refusals(personas, doctor_session):
    doc = actor_of(personas.physician)
    chart = services.chart_start(actor=doc, appointment=doctor_session["appt"])
    html = client_for(personas.physician).get(reverse("charting:chart", args=[chart.pk])
                                              ).content.decode()
    assert chart.verdict == "refuse"  # the rules still refuse signing an empty chart
    assert 'class="finding refuse"' not in html  # ...but nobody typed anything yet
    assert 'class="finding todo"' in html and "To do" in html
    assert 'id="chart-todos"' in html
    # citations one click away
    assert '<details class="cite"><summary>Source</summary>' in html
    # planned zones first, the others behind "Add a zone"
    planned = html[html.index('id="planned-zones"'):html.index('id="add-zone"')]
    assert 'id="depth-cheek"' in planned and 'id="depth-forehead"' not in planned
    assert 'id="depth-forehead"' in html[html.index('id="add-zone"'):]
    # once something is entered in a block, a refusal there is red again
    chart, _ = services.chart_save(actor=doc, chart=chart, expected_version=chart.version,
                                   data=_data(chart, lot_number="NO-SUCH-LOT"))
    html = client_for(personas.physician).get(reverse("charting:chart", args=[chart.pk])
                                              ).content.decode()
    assert re.search(r'id="fb-lot"[^>]*data-state="refuse"', html), html[:200]


def test_copy_from_the_last_session(personas, doctor_session):
    doc = actor_of(personas.physician)
    first = services.chart_start(actor=doc, appointment=doctor_session["appt"])
    first, errors = services.chart_save(actor=doc, chart=first, expected_version=first.version,
                                        data=_data(first))
    assert errors == {}
    services.chart_sign(actor=doc, chart=first)
    later = book(personas, doctor_session["plan"], doctor_session["device"],
                 practitioner=personas.physician,
                 on=timezone.localdate() + dt.timedelta(days=1))
    second = services.chart_start(actor=doc, appointment=later)
    client = client_for(personas.physician)
    page = client.get(reverse("charting:chart", args=[second.pk])).content.decode()
    assert "Copy from the last session" in page
    client.post(reverse("charting:copy_last", args=[second.pk]),
                {"version": second.version})
    second = Chart.objects.get(pk=second.pk)
    zone = second.content["zones"][0]
    assert (zone["zone"], zone["depth_mm"], zone["passes"], zone["pattern"],
            zone["endpoint"]) == ("cheek", "1.50", 3, "horizontal", "pinpoint_bleeding")
    assert second.content["numbing"]["product"] == "emla"
    # today's questions and times are this session's facts: never copied
    assert second.content["today"]["answered"] is False
    assert second.content["numbing"]["applied_at"] == ""


def test_aftercare_sheet_has_contact_and_emergency_and_prints_without_staff_nav(
        personas, doctor_session):
    clinic = personas.clinic
    clinic.phone = "613-555-0100"
    clinic.save()
    doc = actor_of(personas.physician)
    chart = services.chart_start(actor=doc, appointment=doctor_session["appt"])
    chart, _ = services.chart_save(actor=doc, chart=chart, expected_version=chart.version,
                                   data=_data(chart))
    services.chart_sign(actor=doc, chart=chart)
    html = client_for(personas.physician).get(reverse("charting:aftercare", args=[chart.pk])
                                              ).content.decode()
    assert "613-555-0100" in html and "911" in html
    assert 'class="no-print"' in html
    from pathlib import Path

    import puncta

    css = (Path(puncta.__file__).parent / "web/static/puncta/puncta.css").read_text()
    print_rules = css[css.index("@media print"):]
    assert "header.top" in print_rules and ".no-print" in print_rules
    # the admin sets the clinic's own emergency text
    admin = client_for(personas.clinic_admin)
    admin.post(reverse("scheduling:hours"), {"form": "contact", "phone": "613-555-0199",
                                             "emergency_instructions": "Call Dr Chen."})
    html = client_for(personas.physician).get(
        reverse("charting:aftercare", args=[chart.pk]) + "?lang=fr").content.decode()
    assert "613-555-0199" in html and "Call Dr Chen." in html
