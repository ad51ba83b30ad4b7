from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "puncta.audit"
    verbose_name = _("Audit log")

    def ready(self) -> None:
        from .guards import after_migrate

        post_migrate.connect(after_migrate, sender=self, dispatch_uid="puncta.audit.guards")
