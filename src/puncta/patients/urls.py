from django.urls import path

from .intake import views

app_name = "patients"

urlpatterns = [
    path("patients/<int:pk>/intake/", views.intake_desk_view, name="intake_desk"),
    path("patients/<int:pk>/intake/link/", views.intake_link_view, name="intake_link"),
    path("patients/<int:pk>/screening/", views.screening_view, name="screening"),
    path("reviews/", views.review_queue_view, name="review_queue"),
    path("reviews/<int:screening_id>/", views.review_view, name="review"),
    path("intake/<str:token>/", views.intake_public_view, name="intake_public"),
]
