"""Events are written unsealed and linked afterwards (``puncta.audit.seal``).

Writers used to lock their chain's head from the audit insert until their transaction
committed, so one clinic's audited requests queued behind each other's disk flush. Now a
request inserts its event with no link and commits without any lock; sealing links the
committed events in batches.

The append-only guards change by exactly one case: an UPDATE that seals an unsealed
event (sets ``seq``, ``prev_hash`` and ``hash`` where ``hash`` was null) and leaves every
other column as it was. Any other UPDATE, any DELETE and TRUNCATE are still refused.
"""

from django.db import migrations, models

# Every column an UPDATE must leave untouched (all but the three that sealing sets).
KEPT = ("id", "at", "actor_id", "actor_label", "role", "clinic_id", "patient_id",
        "object_type", "object_id", "action", "ip", "reason", "data", "chain")

_SQLITE_KEPT = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in KEPT)
_PG_KEPT = ", ".join(f"NEW.{c}" for c in KEPT), ", ".join(f"OLD.{c}" for c in KEPT)

SQLITE = [
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       WHEN NOT (OLD.hash IS NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
                 AND NEW.seq IS NOT NULL AND {_SQLITE_KEPT})
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
]
# One function for the row trigger (UPDATE, DELETE) and the statement trigger (TRUNCATE):
# OLD exists only for a row UPDATE, so it is looked at only inside that branch.
POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' THEN
           IF OLD.hash IS NULL AND NEW.hash IS NOT NULL AND NEW.prev_hash IS NOT NULL
              AND NEW.seq IS NOT NULL
              AND ROW({_PG_KEPT[0]}) IS NOT DISTINCT FROM ROW({_PG_KEPT[1]}) THEN
             RETURN NEW;
           END IF;
         END IF;
         RAISE EXCEPTION 'audit events are append-only';
       END; $$ LANGUAGE plpgsql;""",
]
POSTGRES_REVERSE = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;""",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        # Altering the columns rebuilt the table (dropping its triggers): the new ones.
        for sql in SQLITE_REVERSE + SQLITE:
            schema_editor.execute(sql)
    elif vendor == "postgresql":
        for sql in POSTGRES:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in POSTGRES_REVERSE:
            schema_editor.execute(sql)


def old_sqlite_triggers(apps, schema_editor):
    """Backwards, the table is rebuilt again: put the previous triggers back."""
    if schema_editor.connection.vendor == "sqlite":
        from importlib import import_module

        old = import_module("puncta.audit.migrations.0002_append_only_triggers")
        for sql in old.SQLITE_REVERSE + old.SQLITE:
            schema_editor.execute(sql)


def drop_sqlite_triggers(apps, schema_editor):
    # The rebuild copies every row with INSERT ... SELECT and drops the old table: no
    # trigger fires, but drop them first so nothing depends on the old definition.
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_per_clinic")]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, old_sqlite_triggers),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(max_length=64, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["chain", "seq"], name="audit_chain_seq"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(condition=models.Q(("hash__isnull", True)),
                               fields=["chain", "id"], name="audit_unsealed"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
