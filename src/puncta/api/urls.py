"""The JSON API under /api/v1/ (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI

from puncta import __version__

from .auth import TokenAuth
from .charting import router as charting_router
from .devices import router as devices_router
from .intake import router as intake_router
from .outcomes import router as outcomes_router
from .patients import router as patients_router
from .scheduling import router as scheduling_router

api = NinjaAPI(
    title="Puncta API",
    version="1",
    description="Clinic-scoped, audited JSON API of Puncta. Authenticate with "
    "`Authorization: Bearer <token>` (create one with `puncta token create`).",
    auth=TokenAuth(),
    urls_namespace="api-v1",
    docs_url=None,
    openapi_extra={"info": {"x-puncta-version": __version__}},
)
api.add_router("/", patients_router)
api.add_router("/devices", devices_router)
api.add_router("/", intake_router)
api.add_router("/", scheduling_router)
api.add_router("/", charting_router)
api.add_router("/", outcomes_router)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)
