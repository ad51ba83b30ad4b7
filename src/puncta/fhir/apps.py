import sys

from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "puncta.fhir"
    label = "fhir"
    verbose_name = "FHIR"

    def ready(self) -> None:
        # Importing the fhir.resources models takes ~1 s: a server pays it at start, not
        # on its first requests. (Commands and tests import them only when they need them.)
        if "gunicorn" in sys.modules:
            from .validate import warm_up

            warm_up()
