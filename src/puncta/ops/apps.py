from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "puncta.ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from django.core.signals import request_finished

        from .requestid import forget

        # Django logs a request's 4xx/5xx after the middleware returned: the id is kept
        # until the response is finished, then cleared for whatever the thread does next.
        request_finished.connect(forget, dispatch_uid="puncta.ops.request_id")
