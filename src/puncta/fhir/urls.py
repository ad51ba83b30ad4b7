from django.urls import path, re_path

from . import views

app_name = "fhir"

TYPE = r"(?P<rtype>[A-Z][A-Za-z]+)"
ID = r"(?P<rid>[A-Za-z0-9\-.]{1,64})"

urlpatterns = [
    path("", views.unknown, name="root"),
    path("metadata", views.metadata, name="metadata"),
    path("$export", views.export_system, name="export"),
    path("Patient/$export", views.export_patients, name="export_patients"),
    path("Group/<str:group_id>/$export", views.export_group, name="export_group"),
    path("$export-status/<uuid:job_id>", views.export_status, name="export_status"),
    path("$export-file/<uuid:job_id>/<str:name>", views.export_file, name="export_file"),
    re_path(rf"^Patient/{ID}/\$everything$", views.everything, name="everything"),
    re_path(rf"^{TYPE}$", views.search_type, name="search"),
    re_path(rf"^{TYPE}/{ID}$", views.read, name="read"),
    re_path(r"^(?P<rest>.*)$", views.unknown),
]
