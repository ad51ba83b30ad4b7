"""The request a staff page or an API handler receives, as the type checker sees it.

``ActiveClinicMiddleware`` (web) or the API's token authentication sets the clinic and
the membership the request acts in; django-htmx adds ``htmx``. Views and handlers that
read them annotate ``request: ClinicRequest``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from puncta.clinics.models import Clinic

    from .models import Membership, User


class ClinicRequest(HttpRequest):
    user: User  # signed in: clinic_view and the token authentication see to it
    clinic: Clinic
    membership: Membership
    htmx: HtmxDetails
