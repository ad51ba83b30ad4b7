from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "puncta.fhir"
    label = "fhir"
    verbose_name = "FHIR"
