"""Fewer indexes on the audit log, which every request writes to twice (the insert, then
the seal, which changes indexed columns and so adds an entry to every index): the clinic's
own index (the (clinic, patient) and (clinic, actor) indexes start with it) and, on
PostgreSQL, the LIKE index Django adds beside a unique text column — nobody searches hashes
by prefix; at 3.6 M events it was 433 MB."""

import django.db.models.deletion
from django.db import migrations, models


def drop_clinic_index(apps, schema_editor):
    """The index the foreign key had, dropped by name: AlterField would rebuild the table on
    SQLite, and a rebuilt table loses the append-only triggers."""
    connection = schema_editor.connection
    with connection.cursor() as cur:
        constraints = connection.introspection.get_constraints(cur, "audit_auditevent")
    for name, c in constraints.items():
        if c["index"] and not c["unique"] and not c["primary_key"] and \
                c["columns"] == ["clinic_id"]:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def recreate_clinic_index(apps, schema_editor):
    schema_editor.execute('CREATE INDEX IF NOT EXISTS "audit_auditevent_clinic_id" '
                          'ON "audit_auditevent" ("clinic_id")')


def drop_hash_like_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_auditevent' "
                    "AND indexdef LIKE '%%(hash varchar_pattern_ops)%%'")
        names = [row[0] for row in cur.fetchall()]
    for name in names:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def recreate_hash_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('CREATE INDEX IF NOT EXISTS "audit_auditevent_hash_like" '
                              'ON "audit_auditevent" ("hash" varchar_pattern_ops)')


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0004_sealing"),
        ("clinics", "0004_clinic_phone_emergency_instructions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AlterField(
                model_name="auditevent",
                name="clinic",
                field=models.ForeignKey(db_index=False, null=True,
                                        on_delete=django.db.models.deletion.PROTECT,
                                        related_name="+", to="clinics.clinic"),
            )],
            database_operations=[
                migrations.RunPython(drop_clinic_index, recreate_clinic_index)],
        ),
        migrations.RunPython(drop_hash_like_index, recreate_hash_like_index),
    ]
