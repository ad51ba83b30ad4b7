"""No double booking, in the database (PostgreSQL).

Exclusion constraints over time ranges: a room, a practitioner or a device cannot hold
two live appointments whose intervals overlap. Concurrent bookings of the same slot get
exactly one success; the other fails with an IntegrityError that the service turns into
a plain message. SQLite has no exclusion constraints: there, bookings run in IMMEDIATE
transactions (settings), so they are serialized and the service's check is sufficient.
"""

from django.db import migrations

LIVE = "status IN ('booked', 'completed')"
FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE scheduling_appointment ADD CONSTRAINT appt_room_no_overlap
        EXCLUDE USING gist (room_id WITH =, tstzrange(start, "end", '[)') WITH &&)
        WHERE ({LIVE})""",
    f"""ALTER TABLE scheduling_appointment ADD CONSTRAINT appt_practitioner_no_overlap
        EXCLUDE USING gist (practitioner_id WITH =, tstzrange(treat_start, "end", '[)') WITH &&)
        WHERE ({LIVE})""",
    f"""ALTER TABLE scheduling_appointment ADD CONSTRAINT appt_device_no_overlap
        EXCLUDE USING gist (device_id WITH =, tstzrange(treat_start, "end", '[)') WITH &&)
        WHERE ({LIVE} AND device_id IS NOT NULL)""",
]
BACKWARD = [
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appt_room_no_overlap",
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appt_practitioner_no_overlap",
    "ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appt_device_no_overlap",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
