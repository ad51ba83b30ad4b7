"""Name search is a substring match (LIKE '%…%'), which a b-tree cannot serve. On
PostgreSQL a trigram GIN index can (pg_trgm); SQLite scans, which is fine at its scale."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS patient_search_trgm ON patients_patient "
    "USING gin (search_name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS patient_phone_trgm ON patients_patient "
    "USING gin (phone_digits gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS patient_search_trgm",
            "DROP INDEX IF EXISTS patient_phone_trgm"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("patients", "0004_patient_contact_opt_out")]
    operations = [migrations.RunPython(forwards, backwards)]
