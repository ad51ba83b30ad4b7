"""Whether the rules required a supervising physician, kept on the chart for the compliance
page. Charts already there keep what the page used before (cosign_required): a "review"
verdict's co-signature is not told apart after the fact, so none drops off the page."""

from django.db import migrations, models
from django.db.models import F


def fill(apps, schema_editor):
    chart = apps.get_model("charting", "Chart")
    chart.objects.using(schema_editor.connection.alias).update(
        supervision_required=F("cosign_required"))


class Migration(migrations.Migration):

    dependencies = [
        ('charting', '0003_merge_returned_to_author_and_attestation'),
    ]

    operations = [
        migrations.AddField(
            model_name='chart',
            name='supervision_required',
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
