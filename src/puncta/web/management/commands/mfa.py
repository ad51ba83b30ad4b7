from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from puncta.accounts import mfa
from puncta.accounts.models import User
from puncta.audit.models import Action
from puncta.audit.services import Actor, record


class Command(BaseCommand):
    help = ("Two-step sign-in: 'status [USERNAME]' shows who has it on; 'reset USERNAME' "
            "removes a user's authenticator and recovery codes (they enrol again).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["status", "reset"])
        parser.add_argument("username", nargs="?", default="")

    def handle(self, *args: Any, **o: Any) -> None:
        users = User.objects.order_by("username")
        if o["username"]:
            users = users.filter(username=o["username"])
            if not users.exists():
                raise CommandError(f"no user {o['username']!r}")
        elif o["action"] == "reset":
            raise CommandError("mfa reset needs a USERNAME")
        if o["action"] == "reset":
            user = users.get()
            removed = mfa.mfa_reset(user)
            record(Actor(label="puncta mfa reset"), Action.DELETE, object_type="accounts.user",
                   object_id=str(user.pk), data={"mfa": True, "reset": True,
                                                 "removed": removed})
            self.stdout.write(f"two-step sign-in reset for {user.username} "
                              f"({removed} device(s) removed)")
            return
        enrolled = set(mfa.enrolled_users(list(users.values_list("pk", flat=True))))
        for user in users.prefetch_related("memberships"):
            roles = [m.role for m in user.memberships.all() if m.is_active]
            required = any(mfa.mfa_required(r) for r in roles)
            state = "on" if user.pk in enrolled else "off"
            self.stdout.write(f"{user.username:<20} {state:<4}"
                              f"{' (required)' if required else ''}")
