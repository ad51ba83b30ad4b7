from django.urls import path

from . import views

app_name = "charting"

urlpatterns = [
    path("charts/", views.home, name="home"),
    path("charts/cosign/", views.cosign_queue, name="queue"),
    path("charts/start/<int:appointment_id>/", views.start, name="start"),
    path("charts/walk-in/<int:patient_id>/", views.walk_in, name="walk_in"),
    path("charts/<int:pk>/", views.chart_view, name="chart"),
    path("charts/<int:pk>/cosign/", views.cosign, name="cosign"),
    path("charts/<int:pk>/return/", views.return_to_author, name="return"),
    path("charts/<int:pk>/attest/", views.attest, name="attest"),
    path("charts/<int:pk>/amend/", views.amend, name="amend"),
    path("charts/<int:pk>/amend/equipment/", views.correct_equipment,
         name="correct_equipment"),
    path("charts/<int:pk>/copy-last/", views.copy_last, name="copy_last"),
    path("charts/<int:pk>/aftercare/", views.aftercare, name="aftercare"),
    path("charts/<int:pk>/aftercare.pdf", views.aftercare_download, name="aftercare_pdf"),
    path("charts/<int:pk>/adverse-events/", views.ae_add, name="ae_add"),
    path("charts/patient/<int:patient_id>/", views.patient_course, name="patient_course"),
    path("adverse-events/", views.ae_report, name="ae_report"),
    path("adverse-events/<int:ae_id>/", views.ae_detail, name="ae_detail"),
]
