
app_name = "devices"

urlpatterns: list = []  # filled by the devices issue
