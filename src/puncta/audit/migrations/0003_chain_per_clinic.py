"""One audit chain per clinic (and a ``system`` chain), instead of one global chain.

Existing events are kept exactly as written and marked as the ``legacy`` chain; its head
row (the old single row) becomes the legacy chain's head. Re-hashing them into per-clinic
chains would rewrite the very evidence the chain protects, so they are verified as the
one chain they always were, and new events start per-clinic chains from the genesis hash.

Also adds the TRUNCATE guard on PostgreSQL (a row trigger never fires on TRUNCATE), and
re-creates the SQLite triggers: adding a column rebuilds the table there, which drops them.
"""

import importlib

from django.core.management.color import no_style
from django.db import migrations, models

triggers = importlib.import_module("puncta.audit.migrations.0002_append_only_triggers")

POSTGRES_TRUNCATE = [
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();""",
]
POSTGRES_TRUNCATE_REVERSE = ["DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;"]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for sql in triggers.SQLITE_REVERSE + triggers.SQLITE:
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        for sql in POSTGRES_TRUNCATE:
            schema_editor.execute(sql)
    # The old single head was created with an explicit id (pk=1), which never advanced
    # PostgreSQL's sequence: new chains' heads would collide with it.
    head = apps.get_model("audit", "AuditChainHead")
    for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [head]):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_TRUNCATE_REVERSE:
            schema_editor.execute(sql)


def sqlite_triggers_again(apps, schema_editor):
    """Backwards, removing the columns rebuilds the table again: put the triggers back."""
    if schema_editor.connection.vendor == "sqlite":
        for sql in triggers.SQLITE_REVERSE + triggers.SQLITE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, sqlite_triggers_again),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.CharField(default="legacy", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="chain",
            field=models.CharField(default="legacy", max_length=40, unique=True),
            preserve_default=False,
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["chain", "id"], name="audit_chain_order"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
