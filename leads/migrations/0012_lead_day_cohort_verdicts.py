from django.db import migrations, models


def rebuild_roll_up(apps, schema_editor):
    """Roll up the leads already there, the new columns with the rest. A database that had leads
    before the roll-up existed gets it here too, once the lead carries every field the roll-up
    reads. The service is today's code: a later migration that adds a column to the roll-up must
    move this call after itself."""
    Lead = apps.get_model("leads", "Lead")
    if not Lead.objects.exists():
        return
    from leads.rollup import lead_days_rebuild

    lead_days_rebuild()


class Migration(migrations.Migration):
    """The roll-up counts each day's cohort by its current verdict: the scorecard sums these
    instead of reading every verdict of the period's leads."""

    dependencies = [
        ("leads", "0011_handoff_speed_covering"),
    ]

    operations = [
        migrations.AddField(model_name="leadday", name="cohort_good", field=models.IntegerField(default=0)),
        migrations.AddField(model_name="leadday", name="cohort_bad", field=models.IntegerField(default=0)),
        migrations.RunPython(rebuild_roll_up, migrations.RunPython.noop),
    ]
