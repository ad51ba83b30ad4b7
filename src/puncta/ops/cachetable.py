"""The table Django's database cache uses (PUNCTA_CACHE_URL=db).

Created by a migration, whatever the cache setting, so ``puncta migrate`` is the only
step a deployment needs and switching the cache to ``db`` later needs no extra command.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.createcachetable import Command as CreateCacheTable

CACHE_TABLE = "puncta_cache"


def create(apps: Any, schema_editor: Any) -> None:
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, CACHE_TABLE, dry_run=False)


def drop(apps: Any, schema_editor: Any) -> None:
    quoted = schema_editor.connection.ops.quote_name(CACHE_TABLE)
    schema_editor.execute(f"DROP TABLE IF EXISTS {quoted}")
