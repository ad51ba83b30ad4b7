from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "puncta.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import mfa

        # A misspelt role in PUNCTA_MFA_REQUIRED_ROLES stops start-up, named, rather than
        # silently requiring two-step sign-in of nobody.
        mfa.required_roles()
