from django.db import migrations


def bad_reasons_backfill(apps, schema_editor):
    """The items already there: each lead carries the bad reasons its items hold against it."""
    from feedback.rollup import lead_bad_reasons_refresh

    lead_bad_reasons_refresh(
        item_model=apps.get_model("feedback", "FeedbackItem"), lead_model=apps.get_model("leads", "Lead")
    )


class Migration(migrations.Migration):
    """A segment's evidence and the plan's briefs count the bad reasons from the leads alone."""

    dependencies = [
        ("feedback", "0012_verdict_themes_and_theme_days_backfill"),
        ("leads", "0030_lead_carries_bad_reasons"),
    ]

    operations = [migrations.RunPython(bad_reasons_backfill, migrations.RunPython.noop)]
