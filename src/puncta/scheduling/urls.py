from django.urls import path

from . import views

app_name = "scheduling"

urlpatterns = [
    path("plans/<int:plan_id>/series/", views.series_view, name="series"),
    path("plans/<int:plan_id>/series.ics", views.series_ics, name="series_ics"),
    path("calendar/", views.calendar_view, name="calendar"),
    path("calendar/<int:membership_id>.ics", views.practitioner_ics, name="practitioner_ics"),
    path("appointments/<int:appointment_id>/", views.appointment_view, name="appointment"),
    path("schedule/hours/", views.hours_view, name="hours"),
    path("messages/", views.messages_view, name="messages"),
]
