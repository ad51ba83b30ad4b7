"""The JSON API under /api/v1/ (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from puncta import __version__

from .auth import TokenAuth
from .charting import router as charting_router
from .clinic import router as clinic_router
from .consent import router as consent_router
from .devices import router as devices_router
from .errors import StrictParser, document, install
from .intake import router as intake_router
from .outcomes import router as outcomes_router
from .patients import router as patients_router
from .scheduling import router as scheduling_router


def docs_for_staff(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The reference page needs a signed-in staff member; the OpenAPI document it reads
    (and that clients generate code from) describes no data and stays public."""
    gated = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.path.endswith("/openapi.json"):
            return view(request, *args, **kwargs)
        return gated(request, *args, **kwargs)

    return wrapper


class PunctaAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return document(super().get_openapi_schema(**kwargs))


api = PunctaAPI(
    title="Puncta API",
    version="1",
    description="Clinic-scoped, audited JSON API of Puncta. Authenticate with "
    "`Authorization: Bearer <token>` (create one with `puncta token create`).",
    auth=TokenAuth(),
    urls_namespace="api-v1",
    # The API reference page is for signed-in staff; the OpenAPI document stays public.
    docs_url="/docs",
    docs_decorator=docs_for_staff,
    parser=StrictParser(),
    openapi_extra={"info": {"x-puncta-version": __version__}},
)
api.add_router("/", patients_router)
api.add_router("/", clinic_router)
api.add_router("/devices", devices_router)
api.add_router("/", intake_router)
api.add_router("/", consent_router)
api.add_router("/", scheduling_router)
api.add_router("/", charting_router)
api.add_router("/", outcomes_router)

install(api)
