from django.contrib.auth import views as auth_views
from django.urls import include, path

from puncta.api.urls import api
from puncta.web import mfa

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/mfa/", mfa.enrol, name="mfa_enrol"),
    path("account/mfa/verify/", mfa.verify, name="mfa_verify"),
    path("account/mfa/recovery-codes/", mfa.new_recovery_codes, name="mfa_recovery_codes"),
    path("account/mfa/reset/", mfa.reset, name="mfa_reset"),
    path("api/v1/", api.urls),
    path("fhir/", include("puncta.fhir.urls")),
    path("devices/", include("puncta.devices.urls")),
    path("", include("puncta.patients.urls")),
    path("", include("puncta.consent.urls")),
    path("", include("puncta.plans.urls")),
    path("", include("puncta.scheduling.urls")),
    path("", include("puncta.charting.urls")),
    path("", include("puncta.outcomes.urls")),
    path("", include("puncta.web.urls")),
]

handler400 = "puncta.web.errors.bad_request"
handler403 = "puncta.web.errors.forbidden"
handler404 = "puncta.web.errors.not_found"
handler500 = "puncta.web.errors.server_error"
