"""HTTP for /fhir/: translate requests to the registry's read, search and export, and
every failure to an OperationOutcome (never an HTML page)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import orjson
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from puncta.accounts.http import ClinicRequest
from puncta.accounts.roles import has_perm
from puncta.api.auth import TokenAuth
from puncta.audit.models import Action
from puncta.audit.services import actor_from_request, record

from . import export, search
from .builders import Ctx, Json
from .capability import capability_statement
from .errors import FHIR_JSON, FhirError, error_response, outcome
from .models import ExportJob, ExportStatus
from .params import parse_date
from .registry import SPECS

log = logging.getLogger(__name__)
_token_auth = TokenAuth()
View = Callable[..., HttpResponse]


def fhir_json(body: Any, status: int = 200, content_type: str = FHIR_JSON) -> HttpResponse:
    # One orjson pass (UTF-8, compact); ``default=str`` for a lazy translation string.
    return HttpResponse(orjson.dumps(body, default=str), status=status,
                        content_type=f"{content_type}; charset=utf-8")


def _authenticate(request: ClinicRequest) -> None:
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise FhirError(401, "Send an API token: Authorization: Bearer <token>.")
    if _token_auth.authenticate(request, token) is None:
        raise FhirError(401, "This token is not valid (unknown, revoked or its member "
                             "inactive).")


def endpoint(methods: tuple[str, ...] = ("GET",), *, auth: bool = True) -> Callable[[View],
                                                                                     View]:
    def wrap(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def inner(request: ClinicRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if _wants_xml(request):
                    raise FhirError(406, "This server speaks FHIR JSON only "
                                         "(application/fhir+json).")
                if request.method not in methods:
                    raise FhirError(405, f"{request.method} is not supported here; use "
                                         f"{' or '.join(methods)}.")
                if auth:
                    _authenticate(request)
                return view(request, *args, **kwargs)
            except FhirError as exc:
                return error_response(exc.status, exc.message, code=exc.code)
            except Http404:
                return error_response(404, "Not found.")
            except Exception:  # a bug: logged, and still an OperationOutcome for the client
                log.exception("FHIR request failed: %s", request.get_full_path())
                return error_response(500, "The server failed to answer; it has been logged.")
        return inner
    return wrap


XML = ("xml", "text/xml", "application/xml", "application/fhir+xml")


def _wants_xml(request: ClinicRequest) -> bool:
    """Asked for XML only (``_format`` or an Accept without any JSON or wildcard)."""
    if request.GET.get("_format", "") in XML:
        return True
    accept = request.META.get("HTTP_ACCEPT", "")
    return bool(accept) and "xml" in accept and "json" not in accept and "*/*" not in accept


def _ctx(request: ClinicRequest) -> Ctx:
    return Ctx(origin=f"{request.scheme}://{request.get_host()}")


def _base(request: ClinicRequest) -> str:
    return request.build_absolute_uri(reverse("fhir:root"))


def _require(request: ClinicRequest, perm: str, what: str) -> None:
    if not has_perm(request.membership.role, perm):
        raise FhirError(403, f"Your role in this clinic may not read {what}.")


# --- metadata, read, search ----------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def _capability(base: str, day: str) -> bytes:
    """The statement depends only on the registry, the address and the day: built once."""
    return orjson.dumps(capability_statement(base, day))


@endpoint(auth=False)
def metadata(request: ClinicRequest) -> HttpResponse:
    body = _capability(_base(request), timezone.now().date().isoformat())
    return HttpResponse(body, content_type=f"{FHIR_JSON}; charset=utf-8")


@endpoint()
def read(request: ClinicRequest, rtype: str, rid: str) -> HttpResponse:
    spec = search.spec_for(rtype)
    _require(request, spec.perm, rtype)
    resource = search.read(spec, request.clinic, rid, _ctx(request),
                           actor_from_request(request))
    # Not re-validated per request: every builder's output is validated in the tests.
    response = fhir_json(resource)
    if "versionId" in resource.get("meta", {}):
        response["ETag"] = f'W/"{resource["meta"]["versionId"]}"'
    return response


def _entry(base: str, resource: Json, mode: str) -> Json:
    return {"fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
            "resource": resource, "search": {"mode": mode}}


def _link(base: str, rtype: str, params: QueryDict, cursor: str | None) -> str:
    pairs = [(k, v) for k in params for v in params.getlist(k) if k != "_cursor"]
    if cursor:
        pairs.append(("_cursor", cursor))
    query = urlencode(pairs)
    return f"{base}{rtype}" + (f"?{query}" if query else "")


@endpoint()
def search_type(request: ClinicRequest, rtype: str) -> HttpResponse:
    spec = search.spec_for(rtype)
    _require(request, spec.perm, rtype)
    params = request.GET
    page = search.search(spec, request.clinic, params, _ctx(request),
                         actor_from_request(request),
                         strict="handling=strict" in request.META.get("HTTP_PREFER", ""))
    base = _base(request)
    links = [{"relation": "self", "url": _link(base, rtype, params, params.get("_cursor"))}]
    if page.next_cursor:
        links.append({"relation": "next", "url": _link(base, rtype, params, page.next_cursor)})
    entries = [_entry(base, r, "match") for r in page.resources]
    entries += [_entry(base, r, "include") for r in page.included]
    if page.ignored:
        entries.append({"resource": outcome(
            f"Ignored unknown search parameters: {', '.join(page.ignored)}.",
            code="not-supported", severity="warning"), "search": {"mode": "outcome"}})
    bundle: Json = {"resourceType": "Bundle", "type": "searchset",
                    "timestamp": timezone.now().isoformat(), "link": links,
                    "entry": entries}
    if page.total is not None:
        bundle["total"] = page.total
    return fhir_json(bundle)


@endpoint()
def everything(request: ClinicRequest, rid: str) -> HttpResponse:
    _require(request, SPECS["Patient"].perm, "Patient")
    allowed = [t for t, s in SPECS.items() if has_perm(request.membership.role, s.perm)]
    resources, left_out = search.everything(request.clinic, rid, _ctx(request),
                                            actor_from_request(request), allowed)
    base = _base(request)
    entries = [_entry(base, r, "match") for r in resources]
    if left_out:
        entries.append({"resource": outcome(
            f"Left out for your role: {', '.join(left_out)}.", code="suppressed",
            severity="information"), "search": {"mode": "outcome"}})
    return fhir_json({"resourceType": "Bundle", "type": "searchset", "total": len(resources),
                      "link": [{"relation": "self", "url": request.build_absolute_uri()}],
                      "entry": entries})


@endpoint(("GET", "POST", "PUT", "DELETE", "PATCH"), auth=False)
def unknown(request: ClinicRequest, rest: str = "") -> HttpResponse:
    raise FhirError(404, f"Nothing here: /fhir/{rest}. See /fhir/metadata.",
                    code="not-supported")


# --- bulk export ----------------------------------------------------------------------------

def _since(raw: str | None, clinic: Any) -> dt.datetime | None:
    if not raw:
        return None
    start, _end, _ = parse_date(raw.strip(), clinic)
    return start


def _kick_off(request: ClinicRequest, level: str) -> HttpResponse:
    if "respond-async" not in request.META.get("HTTP_PREFER", ""):
        raise FhirError(400, "Bulk export runs asynchronously: send Prefer: respond-async.")
    params = request.GET if request.method == "GET" else (
        QueryDict(request.body) if request.content_type.endswith("x-www-form-urlencoded")
        else request.GET)
    fmt = params.get("_outputFormat")
    if fmt and fmt not in {"application/fhir+ndjson", "application/ndjson", "ndjson"}:
        raise FhirError(400, f"_outputFormat {fmt!r} is not offered; use "
                             "application/fhir+ndjson.")
    requested = [t.strip() for t in ",".join(params.getlist("_type")).split(",") if t.strip()]
    types = export.export_types(level, requested or None, request.membership.role)
    since = _since(params.get("_since"), request.clinic)
    job = ExportJob.objects.create(
        clinic=request.clinic, requested_by=request.user, role=request.membership.role,
        level=level, types=types, since=since, request_url=request.build_absolute_uri())
    origin = _ctx(request).origin
    transaction.on_commit(lambda: export.run_export.enqueue(str(job.pk), origin))
    response = HttpResponse(status=202)
    response["Content-Location"] = request.build_absolute_uri(
        reverse("fhir:export_status", args=[job.pk]))
    return response


@endpoint(("GET", "POST"))
def export_system(request: ClinicRequest) -> HttpResponse:
    return _kick_off(request, "system")


@endpoint(("GET", "POST"))
def export_patients(request: ClinicRequest) -> HttpResponse:
    return _kick_off(request, "patient")


@endpoint(("GET", "POST"))
def export_group(request: ClinicRequest, group_id: str) -> HttpResponse:
    if group_id != str(request.clinic.pk):
        raise FhirError(404, f"Group/{group_id} is not known here (the group is your clinic, "
                             f"Group/{request.clinic.pk}).")
    return _kick_off(request, "group")


def _job(request: ClinicRequest, job_id: Any) -> ExportJob:
    job = ExportJob.objects.filter(pk=job_id, clinic=request.clinic).first()
    if job is None or job.status == ExportStatus.CANCELLED:
        raise FhirError(404, "No such export (finished and deleted, cancelled, or another "
                             "clinic's).")
    return job


@endpoint(("GET", "DELETE"))
def export_status(request: ClinicRequest, job_id: Any) -> HttpResponse:
    job = _job(request, job_id)
    if request.method == "DELETE":
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.CANCELLED,
                                                   finished_at=timezone.now())
        export.delete_files(job)
        return HttpResponse(status=202)
    if job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING):
        response = HttpResponse(status=202)
        response["X-Progress"] = job.progress or job.status
        response["Retry-After"] = "2"
        return response
    if job.status == ExportStatus.FAILED:
        return error_response(500, f"The export failed: {job.error}", code="exception")
    files = reverse("fhir:root")
    manifest = {
        "transactionTime": (job.started_at or job.created_at).isoformat(),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [{"type": o["type"], "count": o["count"],
                    "url": request.build_absolute_uri(
                        f"{files}$export-file/{job.pk}/{o['name']}")}
                   for o in job.output],
        "error": [],
    }
    return fhir_json(manifest, content_type="application/json")


@endpoint()
def export_file(request: ClinicRequest, job_id: Any, name: str) -> HttpResponse:
    job = _job(request, job_id)
    item = next((o for o in job.output if o["name"] == name), None)
    if job.status != ExportStatus.DONE or item is None:
        raise FhirError(404, f"No file {name} in this export.")
    _require(request, SPECS[item["type"]].perm, item["type"])
    if not default_storage.exists(item["path"]):
        raise FhirError(404, f"The file {name} is no longer kept.")
    record(actor_from_request(request), Action.EXPORT, job,
           data={"via": "fhir-export", "file": name, "count": item["count"]})
    return FileResponse(default_storage.open(item["path"], "rb"),
                        content_type="application/fhir+ndjson")
