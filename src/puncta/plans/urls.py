from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("patients/<int:pk>/plans/new/", views.plan_edit, name="create"),
    path("patients/<int:pk>/plans/<int:plan_id>/revise/", views.plan_edit, name="revise"),
    path("plans/<int:plan_id>/", views.plan_detail, name="detail"),
    path("plans/<int:plan_id>/approve/", views.plan_approve, name="approve"),
]
