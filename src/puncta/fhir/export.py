"""Bulk export (FHIR Bulk Data Access IG): NDJSON, one file per resource type.

Rows are read ``CHUNK`` at a time (as plain ``.values()`` rows paged by primary key where
the builder allows, see rows.py; else ``.iterator(chunk_size=...)``) and written line by
line (one ``orjson.dumps`` each) to a spooled temporary file (memory up to a few MiB, then
disk), so memory stays flat however large the clinic. What is validated:
``validate.Checker``. The HTTP kick-off queues ``run_export`` for the worker (``puncta
worker``); the CLI (``puncta export``) calls ``write_type`` directly into a folder.
"""

from __future__ import annotations

import datetime as dt
import gc
import tempfile
from collections.abc import Callable, Iterable
from typing import IO, Any

import orjson
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from puncta.accounts.roles import has_perm
from puncta.audit.models import Action
from puncta.audit.services import Actor, Entry, record_many

from .builders import Ctx
from .errors import FhirError
from .models import ExportJob, ExportStatus
from .registry import SPECS, Spec
from .rows import plain_rows
from .validate import Checker

CHUNK = 2000
SPOOL_BYTES = 8 * 1024 * 1024
# The audit log can be millions of rows: exported only when asked for by name.
NOT_BY_DEFAULT = {"AuditEvent"}
# The types with the most rows (started first when files are written in parallel).
LARGE = ("DocumentReference", "Appointment", "Procedure", "Consent", "QuestionnaireResponse",
         "Patient", "CarePlan", "Observation", "Media")


Validate = Callable[[dict[str, Any]], Any] | None


class Cancelled(Exception):
    pass


def export_types(level: str, requested: list[str] | None, role: str | None) -> list[str]:
    """The types an export covers: as requested (each must exist, fit the level and be
    readable by the role), or every type the role may read."""
    if level == "system":
        candidates = [t for t in SPECS]
    else:  # patient and group: the patient compartment
        candidates = ["Patient", *(t for t, s in SPECS.items() if s.in_compartment
                                   and t != "Patient")]
    if requested:
        for t in requested:
            if t not in SPECS:
                raise FhirError(400, f"_type {t!r} is not a resource type this server has.")
            if t not in candidates:
                raise FhirError(400, f"{t} is not in the patient compartment: use the "
                                     "system-level $export for it.")
            if role is not None and not has_perm(role, SPECS[t].perm):
                raise FhirError(403, f"Your role may not read {t} resources.")
        return list(dict.fromkeys(requested))
    return [t for t in candidates if t not in NOT_BY_DEFAULT
            and (role is None or has_perm(role, SPECS[t].perm))]


def rows(spec: Spec, clinic_id: int, since: dt.datetime | None) -> Iterable[tuple[Any, Any]]:
    for src in spec.sources:
        qs = src.queryset(clinic_id)
        if since is not None and src.since:
            qs = qs.filter(**{f"{src.since}__gte": since})
        qs = qs.order_by("pk")
        found = plain_rows(qs, CHUNK, src.fields) if src.plain else qs.iterator(chunk_size=CHUNK)
        for obj in found:
            yield src, obj


def write_type(out: IO[bytes], spec: Spec, clinic_id: int, since: dt.datetime | None,
               ctx: Ctx, *, check: Validate = None,
               every_chunk: Callable[[int], None] | None = None) -> int:
    # The resources are trees without cycles (freed by reference counting); the cyclic
    # collector would otherwise run every few hundred resources and walk every live object.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _write(out, spec, clinic_id, since, ctx, check, every_chunk)
    finally:
        if was_enabled:
            gc.enable()


def _write(out: IO[bytes], spec: Spec, clinic_id: int, since: dt.datetime | None, ctx: Ctx,
           check: Validate, every_chunk: Callable[[int], None] | None) -> int:
    n = 0
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    write = out.write
    for src, obj in rows(spec, clinic_id, since):
        resource = src.build(obj, ctx)
        if check is not None:
            check(resource)
        write(dumps(resource, option=newline))
        n += 1
        if every_chunk is not None and n % CHUNK == 0:
            every_chunk(n)
    return n


def audit_export(actor: Actor, clinic_id: int, counts: dict[str, int], where: str) -> None:
    record_many(actor, [Entry(Action.EXPORT, f"fhir.{t.lower()}", "", None,
                              data={"via": "fhir-export", "count": n, "to": where})
                        for t, n in counts.items()], clinic_id=clinic_id)


# --- the worker's job -------------------------------------------------------------------------

def _still_wanted(job_id: Any) -> None:
    status = ExportJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
    if status != ExportStatus.RUNNING:
        raise Cancelled


def perform(job: ExportJob, *, origin: str, check: Validate = None) -> None:
    check = Checker("shapes") if check is None else check
    ctx = Ctx(origin=origin)
    output = []
    counts: dict[str, int] = {}
    for rtype in job.types:
        spec = SPECS[rtype]
        name = f"{job.folder}/{rtype}.ndjson"

        def progress(n: int, rtype: str = rtype) -> None:
            _still_wanted(job.pk)
            ExportJob.objects.filter(pk=job.pk).update(progress=f"{rtype}: {n} written")

        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as tmp:
            n = write_type(tmp, spec, job.clinic_id, job.since, ctx, check=check,
                           every_chunk=progress)
            _still_wanted(job.pk)
            tmp.seek(0)
            if default_storage.exists(name):
                default_storage.delete(name)
            stored = default_storage.save(name, File(tmp, name=f"{rtype}.ndjson"))
        counts[rtype] = n
        output.append({"type": rtype, "name": stored.rsplit("/", 1)[-1], "path": stored,
                       "count": n})
        ExportJob.objects.filter(pk=job.pk).update(
            progress=f"{len(output)} of {len(job.types)} types written", output=output)
    actor = Actor(user=job.requested_by, role=job.role, clinic_id=job.clinic_id,
                  label="" if job.requested_by else "fhir export")
    with transaction.atomic():
        updated = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.DONE, finished_at=timezone.now(), output=output,
            progress="done")
        if not updated:
            raise Cancelled
        audit_export(actor, job.clinic_id, counts, f"job {job.pk}")


def delete_files(job: ExportJob) -> None:
    for item in job.output or []:
        if default_storage.exists(item["path"]):
            default_storage.delete(item["path"])


@task()
def run_export(job_id: str, origin: str) -> str:
    started = ExportJob.objects.filter(pk=job_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=timezone.now(), progress="started")
    if not started:
        return "gone"
    job = ExportJob.objects.get(pk=job_id)
    try:
        perform(job, origin=origin)
    except Cancelled:
        job.refresh_from_db()
        delete_files(job)
        return "cancelled"
    except Exception as exc:  # the job records why; the worker carries on with others
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportStatus.FAILED, error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now())
        raise
    return "done"
