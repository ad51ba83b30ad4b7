from django.urls import path

from . import views

app_name = "devices"

urlpatterns = [
    path("", views.device_list, name="device_list"),
    path("new/", views.device_create_view, name="device_create"),
    path("<int:pk>/", views.device_detail, name="device_detail"),
    path("<int:pk>/edit/", views.device_edit_view, name="device_edit"),
    path("<int:pk>/log/", views.device_log_view, name="device_log"),
    path("registry/", views.registry_lookup, name="registry"),
    path("lots/", views.lot_list, name="lot_list"),
    path("cartridges/new/", views.product_create_view, name="product_create"),
    path("lots/<int:pk>/", views.lot_detail, name="lot_detail"),
    path("lots/<int:pk>/trace/", views.lot_trace_view, name="lot_trace"),
]
