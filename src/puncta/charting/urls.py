from django.urls import path

app_name = "charting"

urlpatterns: list = []  # filled by the charting issue
