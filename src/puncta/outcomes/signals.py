"""The end of a course starts its follow-up schedule: when the chart of the course's last
session is signed, follow-ups are scheduled from that session's date. A receiver, so
charting (a lower layer) needs to know nothing about outcomes."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from puncta.charting.models import Chart, ChartStatus

from .tasks import WORKER


def _schedule(chart_id: int) -> None:
    from . import services

    chart = Chart.objects.select_related("plan", "patient").filter(pk=chart_id).first()
    if chart is None or chart.plan is None or chart.status == ChartStatus.DRAFT:
        return
    sessions = chart.plan.course.get("sessions", [])
    root = services.course_root(chart.plan)
    if root is None or not sessions:
        return
    done = services.course_charts(chart.patient, root)
    if len(done) >= len(sessions) and done[-1].pk == chart.pk:
        services.follow_ups_schedule(actor=WORKER, plan=root, last_session=chart.on)


@receiver(post_save, sender=Chart, dispatch_uid="outcomes_course_end")
def chart_saved(sender: Any, instance: Chart, created: bool, **kwargs: Any) -> None:
    if instance.status != ChartStatus.DRAFT and instance.plan_id is not None:
        pk = instance.pk
        # robust: a failure to schedule is logged, never turned into an error for the
        # clinician whose chart was just signed.
        transaction.on_commit(lambda: _schedule(pk), robust=True)
