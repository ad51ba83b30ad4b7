from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from puncta.accounts.models import ApiToken, Membership


class Command(BaseCommand):
    help = "API tokens: 'create USERNAME --clinic ID [--name NAME]' prints a new token once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create"])
        parser.add_argument("username")
        parser.add_argument("--clinic", required=True, help="clinic id")
        parser.add_argument("--name", default="cli")

    def handle(self, *args: Any, **o: Any) -> None:
        membership = Membership.objects.filter(
            user__username=o["username"], clinic_id=int(o["clinic"]) if o["clinic"].isdigit()
            else -1, is_active=True,
        ).first()
        if membership is None:
            raise CommandError(f"{o['username']} is not an active member of clinic {o['clinic']}")
        _, raw = ApiToken.issue(membership, o["name"])
        self.stdout.write(raw)
