"""A co-signer returns a chart to its author with a note; the author amends; the chart's
page keeps every signature and co-signature after amendments."""

from __future__ import annotations

import pytest
from django.urls import reverse

from puncta.charting import services
from puncta.charting.models import Chart, ChartStatus

from ..conftest import client_for
from .conftest import actor_of
from .test_flow import _data

pytestmark = pytest.mark.django_db


def _signed(personas, session):  # type: ignore[no-untyped-def]
    aest = actor_of(personas.aesthetician)
    chart = services.chart_start(actor=aest, appointment=session["appt"])
    chart, _ = services.chart_save(actor=aest, chart=chart, expected_version=chart.version,
                                   data=_data(chart, supervisor_id=personas.physician.pk))
    chart = services.chart_attest_supervision(actor=actor_of(personas.physician), chart=chart)
    return services.chart_sign(actor=aest, chart=chart)


def test_return_to_author_with_a_note_then_amend_and_cosign(personas, session):
    chart = _signed(personas, session)
    doctor = client_for(personas.physician)
    url = reverse("charting:chart", args=[chart.pk])
    assert "Return it to the author instead" in doctor.get(url).content.decode()
    doctor.post(reverse("charting:return", args=[chart.pk]), {"note": " "})
    assert Chart.objects.get(pk=chart.pk).returned_at is None  # a note is required
    doctor.post(reverse("charting:return", args=[chart.pk]),
                {"note": "Record the endpoint on the cheek."})
    chart = Chart.objects.get(pk=chart.pk)
    assert chart.returned_at is not None and chart.status == ChartStatus.PENDING_COSIGN
    # out of the co-signer's queue, into the author's
    assert "Waiting for your co-signature" not in doctor.get(reverse("charting:home")
                                                             ).content.decode()
    author = client_for(personas.aesthetician)
    html = author.get(url).content.decode()
    assert 'id="returned-note"' in html and "Record the endpoint on the cheek." in html
    assert "Record the endpoint on the cheek." in author.get(reverse("charting:home")
                                                            ).content.decode()
    author.post(reverse("charting:amend", args=[chart.pk]), {
        "reason": "Endpoint added as asked.", "depth-cheek": "1.5", "passes-cheek": "3",
        "pattern-cheek": "horizontal", "endpoint-cheek": "erythema",
        "today_answered": "on", "numbing_used": "on", "numbing_product": "emla",
        "numbing_amount_g": "10", "numbing_area_cm2": "100"})
    chart = Chart.objects.get(pk=chart.pk)
    assert chart.returned_at is None and chart.amendments.count() == 1
    services.chart_cosign(actor=actor_of(personas.physician), chart=chart, note="ok")
    html = doctor.get(url).content.decode()
    history = html[html.index('id="signatures"'):html.index('id="amendments"')]
    for kind in ("signed", "returned", "amended", "resubmitted", "cosigned"):
        assert f'data-kind="{kind}"' in history, kind


def test_earlier_cosignature_stays_on_the_page_after_an_amendment(personas, session):
    """Defect: after an amendment the earlier co-signature disappeared from the page."""
    chart = _signed(personas, session)
    chart = services.chart_cosign(actor=actor_of(personas.physician), chart=chart,
                                  note="Reviewed.")
    services.chart_amend(actor=actor_of(personas.aesthetician), chart=chart,
                         reason="Depth was 1.25 mm", data={
                             "zones": [{"zone": "cheek", "depth_mm": "1.25", "passes": 3}]})
    html = client_for(personas.physician).get(
        reverse("charting:chart", args=[chart.pk])).content.decode()
    history = html[html.index('id="signatures"'):html.index('id="amendments"')]
    assert history.count('data-kind="cosigned"') == 1 and "Reviewed." in history
    assert 'data-kind="amended"' in history and 'data-kind="signed"' in history


def test_history_survives_a_merge_and_reads_only_the_patients_events(personas, session):
    """The history is read through the patient's events (an index), not a scan of the
    whole log: a chart signed on a record later merged as a duplicate keeps its history
    on the record kept, and other patients' events are not read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from puncta.charting.selectors import signature_history
    from puncta.patients.merge import patient_merge
    from puncta.patients.models import PatientNameKey

    from ..factories import PatientFactory

    chart = _signed(personas, session)
    dup = session["patient"]
    keep = PatientFactory(clinic=personas.clinic, given_name="Chloe", family_name="Roy-Kept")
    patient_merge(actor=actor_of(personas.clinic_admin), keep=keep, duplicate=dup,
                  reason="Same person")
    chart.refresh_from_db()
    assert chart.patient_id == keep.pk
    with CaptureQueriesContext(connection) as q:
        kinds = [row["kind"] for row in signature_history(chart)]
    assert "signed" in kinds
    sql = next(x["sql"] for x in q.captured_queries if "audit_auditevent" in x["sql"])
    assert '"clinic_id" =' in sql and '"patient_id" IN' in sql, sql
    # each record keeps the keys of its own name
    assert set(PatientNameKey.objects.filter(patient=keep).values_list("key", flat=True)) \
        == {"chloe roy-kept", "roy-kept"}
    assert PatientNameKey.objects.filter(patient=dup).exists()


def test_the_chart_keeps_whether_the_rules_required_supervision(personas, session):
    """Dermal depth by an aesthetician: the rules require a supervising physician; the
    chart keeps it (the compliance page checks attestation against it)."""
    chart = _signed(personas, session)
    assert chart.supervision_required and chart.cosign_required
    assert Chart.objects.get(pk=chart.pk).supervision_required
