"""Pages, htmx autosave, the API, the patient timeline's query count, save speed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from puncta.accounts.models import ApiToken
from puncta.charting import services
from puncta.charting.models import AdverseEvent, Chart, ChartStatus

from ..conftest import client_for
from .conftest import actor_of
from .test_flow import _data

pytestmark = pytest.mark.django_db


def test_autosave_survives_reload_and_answers_with_findings(personas, session):
    c = client_for(personas.aesthetician)
    r = c.post(f"/charts/start/{session['appt'].pk}/")
    chart = Chart.objects.get()
    assert r.url == f"/charts/{chart.pk}/"
    post = {"version": chart.version, "practitioner": personas.aesthetician.pk,
            "device": session["device"].pk, "depth-cheek": "1,5", "passes-cheek": "3",
            "notes": "half written"}
    r = c.post(f"/charts/{chart.pk}/", post, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert 'id="fb-zone-cheek" class="fb" hx-swap-oob="true"' in body
    assert "Use a point for decimals" in body and "supervis" in body
    # A crash or a restart later: the draft is in the database.
    page = c.get(f"/charts/{chart.pk}/").content.decode()
    assert "half written" in page
    # The stale version is refused, not merged.
    r = c.post(f"/charts/{chart.pk}/", post, HTTP_HX_REQUEST="true")
    assert "Someone else saved this chart" in r.content.decode()


def test_front_desk_and_other_clinic_see_no_chart(personas, session):
    chart = services.chart_start(actor=actor_of(personas.aesthetician),
                                 appointment=session["appt"])
    assert client_for(personas.front_desk).get(f"/charts/{chart.pk}/").status_code == 403
    assert client_for(personas.other_clinic_user).get(
        f"/charts/{chart.pk}/").status_code in (403, 404)


def _api(membership):
    _t, raw = ApiToken.issue(membership, "t")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_create_update_sign_cosign_amend(personas, session, client):
    h = _api(personas.aesthetician)
    r = client.post("/api/v1/charts", {"appointment_id": session["appt"].pk},
                    content_type="application/json", **h)
    assert r.status_code == 201, r.content
    chart = r.json()
    data = _data(Chart.objects.get(pk=chart["id"]), supervisor_id=personas.physician.pk)
    r = client.patch(f"/api/v1/charts/{chart['id']}", {**data, "version": chart["version"]},
                     content_type="application/json", **h)
    # Supervision is real: until the physician attests it, the dermal session is refused.
    assert r.status_code == 200 and r.json()["verdict"] == "refuse"
    assert {f["code"] for f in r.json()["findings"] if f["severity"] == "refuse"} == {
        "supervision.not_attested"}
    assert client.post(f"/api/v1/charts/{chart['id']}/attest-supervision", {},
                       content_type="application/json", **h).status_code in (403, 409)
    r = client.post(f"/api/v1/charts/{chart['id']}/attest-supervision", {},
                    content_type="application/json", **_api(personas.physician))
    assert r.status_code == 200 and r.json()["verdict"] != "refuse", r.json()
    r = client.patch(f"/api/v1/charts/{chart['id']}", {**data, "version": chart["version"]},
                     content_type="application/json", **h)
    assert r.status_code == 409 and r.json()["code"] == "stale"
    # A PATCH changes only what it sends: leaving out the supervisor keeps the supervisor.
    version = r.json().get("version") or Chart.objects.get(pk=chart["id"]).version
    r = client.patch(f"/api/v1/charts/{chart['id']}", {"notes": "merged", "version": version},
                     content_type="application/json", **h)
    assert r.status_code == 200, r.content
    saved = Chart.objects.get(pk=chart["id"])
    assert saved.supervisor_id == personas.physician.pk and saved.content["notes"] == "merged"
    assert saved.content["zones"] and r.json()["verdict"] != "refuse"
    r = client.post(f"/api/v1/charts/{chart['id']}/sign", {}, content_type="application/json",
                    **h)
    assert r.status_code == 200 and r.json()["status"] == "pending_cosign"
    r = client.post(f"/api/v1/charts/{chart['id']}/sign", {}, content_type="application/json",
                    **h)
    assert r.status_code == 409
    r = client.post(f"/api/v1/charts/{chart['id']}/cosign", {"note": "ok"},
                    content_type="application/json", **_api(personas.physician))
    assert r.status_code == 200 and r.json()["status"] == "final"
    r = client.post(f"/api/v1/charts/{chart['id']}/amend", {"reason": "", "notes": "x"},
                    content_type="application/json", **h)
    assert r.status_code == 422
    r = client.post(f"/api/v1/charts/{chart['id']}/amend",
                    {"reason": "typo", "notes": "corrected"},
                    content_type="application/json", **h)
    assert r.status_code == 200 and r.json()["amendments"][0]["after"]["notes"] == "corrected"
    assert client.get(f"/api/v1/charts/{chart['id']}",
                      **_api(personas.other_clinic_user)).status_code == 404
    assert client.get(f"/api/v1/charts/{chart['id']}",
                      **_api(personas.front_desk)).status_code == 403


def _history(personas, session, n):
    import datetime as dt

    start = Chart.objects.count()
    zones = [{"zone": z, "depth_mm": "1.00", "passes": 3} for z in ("cheek", "forehead",
                                                                    "chin")]
    Chart.objects.bulk_create([
        Chart(clinic=personas.clinic, patient=session["patient"], plan=session["plan"],
              indication="acne_scars", severity="mild",
              on=session["appt"].start.date() + dt.timedelta(days=49 * (start + i)),
              practitioner=personas.aesthetician, content={"zones": zones},
              status=ChartStatus.FINAL, created_by=personas.physician.user)
        for i in range(n)])
    AdverseEvent.objects.bulk_create([
        AdverseEvent(clinic=personas.clinic, patient=session["patient"], phase="after",
                     kind="pain", severity="mild", occurred_on=session["appt"].start.date(),
                     reported_by=personas.physician.user) for _ in range(n)])


def test_patient_timeline_constant_queries(personas, session):
    c = client_for(personas.physician)
    url = f"/charts/patient/{session['patient'].pk}/"
    counts = []
    for n in (2, 18):  # 2 charts, then 20
        _history(personas, session, n)
        c.get(url)
        with CaptureQueriesContext(connection) as ctx:
            r = c.get(url)
        assert r.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert Chart.objects.count() == 20
    page = r.content.decode()
    assert 'class="depthchart"' in page and "style=" not in page.split('id="course"')[1]
    assert "<script" not in page.split('id="course"')[1]
    assert counts[0] == counts[1], counts
    print(f"patient course page: {counts[0]} queries with 2 charts, {counts[1]} with 20")
    detail = c.get(f"/patients/{session['patient'].pk}/").content.decode()
    assert 'hx-get="/charts/patient/' in detail


def test_draft_save_with_ten_zones_constant_queries(personas, session):
    """A ten-zone autosave asks the rules with every earlier session by zone: the number of
    queries does not grow with the patient's history (its time is in bench/, not here)."""
    import datetime as dt

    aest = actor_of(personas.aesthetician)
    chart = services.chart_start(actor=aest, appointment=session["appt"])
    zones = [{"zone": z, "depth_mm": "0.50", "passes": 3, "pattern": "vertical",
              "endpoint": "erythema"}
             for z in ("forehead", "glabella", "temple", "nose", "cheek", "upper_lip",
                       "perioral", "chin", "jawline", "neck")]
    chart, _ = services.chart_save(actor=aest, chart=chart, expected_version=chart.version,
                                   data=_data(chart, supervisor_id=personas.physician.pk,
                                              zones=zones))  # warm caches once
    counts = []
    for n in (2, 30):
        Chart.objects.bulk_create([
            Chart(clinic=personas.clinic, patient=session["patient"], plan=session["plan"],
                  indication="acne_scars", severity="mild",
                  on=chart.on - dt.timedelta(days=60 * (k + 1 + len(counts) * 2)),
                  practitioner=personas.physician, status=ChartStatus.FINAL,
                  content={"zones": [{"zone": "cheek", "depth_mm": "1.00", "passes": 3}]},
                  created_by=personas.physician.user) for k in range(n)])
        data = _data(chart, supervisor_id=personas.physician.pk, zones=zones, notes=str(n))
        with CaptureQueriesContext(connection) as ctx:
            chart, errors = services.chart_save(actor=aest, chart=chart,
                                                expected_version=chart.version, data=data)
        assert not errors
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_api_patch_answers_what_a_read_returns(personas, session, client):
    """The PATCH answers from the chart it saved (no read-back): the same as a GET."""
    h = _api(personas.aesthetician)
    chart = client.post("/api/v1/charts", {"appointment_id": session["appt"].pk},
                        content_type="application/json", **h).json()
    data = _data(Chart.objects.get(pk=chart["id"]), supervisor_id=personas.physician.pk)
    r = client.patch(f"/api/v1/charts/{chart['id']}", {**data, "version": chart["version"]},
                     content_type="application/json", **h)
    assert r.status_code == 200, r.content
    assert r.json() == client.get(f"/api/v1/charts/{chart['id']}", **h).json()
    r = client.patch(f"/api/v1/charts/{chart['id']}", {"notes": "second save",
                                                        "version": r.json()["version"]},
                     content_type="application/json", **h)
    assert r.status_code == 200, r.content
    assert r.json() == client.get(f"/api/v1/charts/{chart['id']}", **h).json()
