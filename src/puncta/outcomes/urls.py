from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("outcomes/", views.home, name="home"),
    path("outcomes/report/", views.report_view, name="report"),
    path("outcomes/report.csv", views.report_csv, name="report_csv"),
    path("outcomes/patients/<int:patient_id>/", views.patient_outcomes, name="patient"),
    path("outcomes/patients/<int:patient_id>/progress/", views.patient_progress,
         name="patient_progress"),
    path("outcomes/courses/<int:plan_id>/", views.course_view, name="course"),
    path("outcomes/courses/<int:plan_id>/photos/", views.photo_upload, name="photo_upload"),
    path("outcomes/courses/<int:plan_id>/assess/", views.assess, name="assess"),
    path("outcomes/courses/<int:plan_id>/compare/", views.compare, name="compare"),
    path("outcomes/courses/<int:plan_id>/link/", views.link_create, name="link"),
    path("outcomes/courses/<int:plan_id>/follow-ups/", views.schedule_follow_ups,
         name="schedule"),
    path("outcomes/courses/<int:plan_id>/summary.pdf", views.summary, name="summary"),
    path("outcomes/photos/<int:pk>/<str:size>/", views.photo_file, name="photo"),
    path("o/<str:token>/", views.public, name="public"),
    path("o/<str:token>/baseline/<int:pk>/", views.public_baseline, name="public_baseline"),
]
