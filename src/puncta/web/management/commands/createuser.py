from __future__ import annotations

import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from puncta.accounts.models import Membership, User
from puncta.accounts.roles import Role
from puncta.audit.models import Action
from puncta.audit.services import Actor, record
from puncta.clinics.models import Clinic


class Command(BaseCommand):
    help = "Create a user (or add an existing one) as a member of a clinic with a role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--clinic", required=True, help="clinic id or exact name")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--language", choices=["en", "fr"], default="en")
        parser.add_argument("--medical-director", action="store_true")
        parser.add_argument("--registration-number", default="")
        parser.add_argument("--registration-body", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )

    def handle(self, *args: Any, **o: Any) -> None:
        clinic = _find_clinic(o["clinic"])
        password = None
        if o["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        with transaction.atomic():
            user, created = User.objects.get_or_create(
                username=o["username"],
                defaults={"email": o["email"], "first_name": o["first_name"],
                          "last_name": o["last_name"], "language": o["language"]},
            )
            if password is not None:
                try:
                    validate_password(password, user)
                except ValidationError as exc:
                    raise CommandError("password refused: " + " ".join(exc.messages)) from None
                user.set_password(password)
                user.save()
            elif created:
                user.set_unusable_password()
                user.save()
            if o["medical_director"] and o["role"] != Role.PHYSICIAN:
                raise CommandError("only a physician can be the medical director")
            membership, _ = Membership.objects.update_or_create(
                user=user, clinic=clinic,
                defaults={"role": o["role"], "is_medical_director": o["medical_director"],
                          "registration_number": o["registration_number"],
                          "registration_body": o["registration_body"]},
            )
            record(Actor(label="puncta createuser"), Action.CREATE if created else Action.UPDATE,
                   membership, clinic_id=clinic.pk, data={"role": o["role"]})
        verb = "created" if created else "updated"
        self.stdout.write(f"{verb} {user.username}: {o['role']} at {clinic.name}")


def _find_clinic(ref: str) -> Clinic:
    qs = Clinic.objects.filter(pk=int(ref)) if ref.isdigit() else Clinic.objects.filter(name=ref)
    clinic = qs.first()
    if clinic is None:
        raise CommandError(f"no clinic {ref!r} (give its id or exact name)")
    return clinic
