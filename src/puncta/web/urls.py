from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create_view, name="patient_create"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", views.patient_edit_view, name="patient_edit"),
    path("patients/<int:pk>/merge/", views.patient_merge_view, name="patient_merge"),
    path("audit/", views.audit_log, name="audit_log"),
    path("compliance/", views.compliance, name="compliance"),
    path("appointments/to-rebook/", views.rebook, name="rebook"),
    path("clinic/switch/", views.switch_clinic, name="switch_clinic"),
    path("language/", views.set_language, name="set_language"),
]
