from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "puncta.web"
    verbose_name = _("Web interface")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (login/logout audit receivers)
