"""Bulk export jobs (FHIR Bulk Data Access): one row per kick-off, files in storage."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class ExportStatus(models.TextChoices):
    # Machine-facing (the Bulk Data status endpoint); no page shows these labels.
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ExportJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="+")
    # Who asked: the files are served only to a token of the same clinic with the same
    # read permissions, checked again on every download.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+")
    role = models.CharField(max_length=32, blank=True)
    level = models.CharField(max_length=10)  # system, group, patient
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.CharField(max_length=2000)
    status = models.CharField(max_length=10, choices=ExportStatus.choices,
                              default=ExportStatus.QUEUED)
    progress = models.CharField(max_length=200, blank=True)
    # [{"type": "Patient", "name": "Patient.ndjson", "count": 12}]
    output = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"

    @property
    def folder(self) -> str:
        return f"fhir-export/{self.pk}"
