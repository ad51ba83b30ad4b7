"""Name keys for the word-prefix name search (FHIR ``Patient?name=``), filled for the
patients already there."""

import django.db.models.deletion
from django.db import migrations, models

from puncta.patients.models import name_keys


def fill(apps, schema_editor):
    patient_model = apps.get_model("patients", "Patient")
    key_model = apps.get_model("patients", "PatientNameKey")
    db = schema_editor.connection.alias
    last = 0
    while True:
        rows = list(patient_model.objects.using(db).filter(pk__gt=last).order_by("pk")
                    .values_list("pk", "clinic_id", "search_name")[:5000])
        if not rows:
            return
        key_model.objects.using(db).bulk_create(
            [key_model(patient_id=pk, clinic_id=clinic, key=k)
             for pk, clinic, name in rows for k in name_keys(name)], batch_size=5000)
        last = rows[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ('clinics', '0004_clinic_phone_emergency_instructions'),
        ('patients', '0008_patient_merged_into'),
    ]

    operations = [
        migrations.CreateModel(
            name='PatientNameKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=210)),
                ('clinic', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='clinics.clinic')),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='name_keys', to='patients.patient')),
            ],
            options={
                'indexes': [models.Index(fields=['clinic', 'key', 'patient'], name='patient_name_key', opclasses=['int8_ops', 'varchar_pattern_ops', 'int8_ops'])],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
