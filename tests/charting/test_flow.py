"""The chart end to end: start, rules at the field, sign, co-sign, lock, amend, lot trace."""

from __future__ import annotations

import pytest

from puncta.charting import services
from puncta.charting.models import ChartStatus
from puncta.devices.selectors import lot_trace

from .conftest import actor_of

pytestmark = pytest.mark.django_db


def _data(chart, **over):
    data = {"practitioner_id": chart.practitioner_id, "supervisor_id": chart.supervisor_id,
            "device_id": chart.device_id, "lot_number": "LOT-A1",
            "today": {"answered": True}, "photos_taken": True, "cleansing": "chlorhexidine",
            "numbing": {"used": True, "product": "emla", "amount_g": "10", "area_cm2": "100",
                        "applied_at": "09:00", "removed_at": "09:40", "occluded": False},
            "zones": [{"zone": "cheek", "depth_mm": "1.5", "passes": 3,
                       "pattern": "horizontal", "endpoint": "pinpoint_bleeding"}],
            "duration_min": 30}
    data.update(over)
    return data


def test_end_to_end(personas, session, django_capture_on_commit_callbacks):
    aest = actor_of(personas.aesthetician)
    chart = services.chart_start(actor=aest, appointment=session["appt"])
    assert chart.status == ChartStatus.DRAFT
    chart, errors = services.chart_save(actor=aest, chart=chart, expected_version=chart.version,
                                        data=_data(chart))
    assert errors == {}
    assert chart.verdict == "refuse"
    sup = [f for f in chart.findings if f["code"] == "supervision.required"]
    assert sup and sup[0]["ui"] == "supervisor"
    with pytest.raises(services.ChartError) as exc:
        services.chart_sign(actor=aest, chart=chart)
    assert exc.value.code == "refused"
    chart, errors = services.chart_save(
        actor=aest, chart=chart, expected_version=chart.version,
        data=_data(chart, supervisor_id=personas.physician.pk))
    # Naming the physician is not enough: they attest supervising, as themselves.
    assert chart.verdict == "refuse" and "supervision.not_attested" in {
        f["code"] for f in chart.findings}
    with pytest.raises(services.ChartError) as exc:
        services.chart_attest_supervision(actor=aest, chart=chart)
    assert exc.value.code == "not_supervisor"
    chart = services.chart_attest_supervision(actor=actor_of(personas.physician), chart=chart)
    assert chart.verdict != "refuse", chart.findings
    assert chart.supervision_attested_at is not None
    assert chart.cosign_required
    chart = services.chart_sign(actor=aest, chart=chart)
    assert chart.status == ChartStatus.PENDING_COSIGN and len(chart.sha256) == 64
    assert chart.lot_draw.reference == f"chart:{chart.pk}"
    session["appt"].refresh_from_db()
    assert session["appt"].status == "completed"
    with pytest.raises(services.ChartError):
        services.chart_sign(actor=aest, chart=chart)
    chart = services.chart_cosign(actor=actor_of(personas.physician), chart=chart, note="ok")
    assert chart.status == ChartStatus.FINAL
    with pytest.raises(services.ChartError):
        services.chart_amend(actor=aest, chart=chart, reason=" ", data={})
    a = services.chart_amend(actor=aest, chart=chart, reason="depth was 1.25", data={
        "zones": [{"zone": "cheek", "depth_mm": "1.25", "passes": 3}]})
    assert a.before["zones"][0]["depth_mm"] == "1.50" and a.after["zones"][0]["depth_mm"] \
        == "1.25"
    draws = list(lot_trace([session["lot"]]))
    assert [d.patient_id for d in draws] == [session["patient"].pk]
