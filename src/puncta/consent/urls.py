from django.urls import path

from . import views

app_name = "consent"

urlpatterns = [
    path("patients/<int:pk>/consent/", views.patient_consents, name="patient"),
    path("patients/<int:pk>/consent/<str:procedure>/sign/", views.sign, name="sign"),
    path("consents/<int:consent_id>/pdf/", views.consent_pdf_view, name="pdf"),
    path("consents/<int:consent_id>/scan/", views.consent_scan_view, name="scan"),
    path("consents/<int:consent_id>/withdraw/", views.withdraw, name="withdraw"),
    path("consent/templates/", views.templates_view, name="templates"),
]
