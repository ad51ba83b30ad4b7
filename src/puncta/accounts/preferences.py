"""A staff member's own preferences (the interface language): written through here, so
views never save models themselves."""

from __future__ import annotations

from django.db import transaction

from .models import Language, User


def user_language_set(*, actor: User, language: str) -> str:
    """Remember the language a signed-in person chose; an unknown code means English."""
    code = language if language in Language.values else Language.EN
    with transaction.atomic():
        actor.language = code
        actor.save(update_fields=["language"])
    return code
