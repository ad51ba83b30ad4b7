from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from puncta.accounts.models import TOKEN_DAYS_DEFAULT, ApiToken, Membership
from puncta.api.tokens import TokenError, token_issue, token_revoke, tokens_listed
from puncta.audit.services import Actor

HELP = """API tokens.
  token create USERNAME --clinic ID [--name NAME] [--days N]   print a new token (shown once)
  token list [--user USERNAME] [--json]                        id, owner, state, expiry, last use
  token revoke TOKEN_ID | --user USERNAME [--reason TEXT]      revoke one token or all of a user's
"""


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("target", nargs="?", default="",
                            help="USERNAME (create) or TOKEN_ID (revoke)")
        parser.add_argument("--clinic", default="", help="clinic id (create)")
        parser.add_argument("--name", default="cli")
        parser.add_argument("--days", type=int, default=TOKEN_DAYS_DEFAULT,
                            help=f"lifetime in days (default {TOKEN_DAYS_DEFAULT})")
        parser.add_argument("--user", default="", help="a user's tokens (list, revoke)")
        parser.add_argument("--reason", default="")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        actor = Actor(label=f"puncta token {o['action']}")
        try:
            getattr(self, "_" + o["action"])(actor, o)
        except TokenError as exc:
            raise CommandError(str(exc)) from None

    def _create(self, actor: Actor, o: dict[str, Any]) -> None:
        if not o["target"]:
            raise CommandError("token create needs a USERNAME")
        if not o["clinic"].isdigit():
            raise CommandError("token create needs --clinic ID (a number)")
        membership = Membership.objects.select_related("user").filter(
            user__username=o["target"], clinic_id=int(o["clinic"]), is_active=True).first()
        if membership is None:
            raise CommandError(f"{o['target']} is not an active member of clinic {o['clinic']}")
        _, raw = token_issue(actor=actor, membership=membership, name=o["name"],
                             days=o["days"])
        self.stdout.write(raw)

    def _list(self, actor: Actor, o: dict[str, Any]) -> None:
        rows = [{"id": t.pk, "prefix": t.prefix, "name": t.name,
                 "user": t.membership.user.get_username(), "clinic": t.membership.clinic_id,
                 "state": t.state, "created_at": t.created_at.isoformat(),
                 "expires_at": t.expires_at.isoformat(),
                 "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None}
                for t in tokens_listed(username=o["user"] or o["target"])]
        if o["json"]:
            self.stdout.write(json.dumps(rows, indent=1))
            return
        for r in rows:
            used = r["last_used_at"] or "never used"
            self.stdout.write(f"{r['id']:>5}  {r['prefix']}…  {r['user']:<16} "
                              f"clinic {r['clinic']:<4} {r['state']:<8} expires "
                              f"{r['expires_at'][:16]}  last used {used[:16]}  {r['name']}")

    def _revoke(self, actor: Actor, o: dict[str, Any]) -> None:
        if bool(o["target"]) == bool(o["user"]):
            raise CommandError("token revoke needs a TOKEN_ID or --user USERNAME (one of them)")
        if o["target"]:
            if not o["target"].isdigit():
                raise CommandError(f"not a token id: {o['target']!r} (see 'puncta token list')")
            token = ApiToken.objects.filter(pk=int(o["target"])).first()
            if token is None:
                raise CommandError(f"no token with id {o['target']}")
            tokens = [token]
        else:
            tokens = list(ApiToken.objects.filter(
                membership__user__username=o["user"], revoked_at__isnull=True))
            if not tokens and not tokens_listed(username=o["user"]).exists():
                raise CommandError(f"no tokens for user {o['user']!r}")
        revoked = sum(token_revoke(actor=actor, token=t, reason=o["reason"]) for t in tokens)
        self.stdout.write(f"revoked {revoked} token(s) at {timezone.now().isoformat()[:19]}Z")
