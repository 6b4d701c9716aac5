from django.db import migrations


def theme_days_backfill(apps, schema_editor):
    """Each lead's current verdict's themes onto the lead, then voice of sales' roll-up from them."""
    from feedback.rollup import verdict_themes_refresh
    from leads.theme_rollup import theme_days_rebuild

    verdict_themes_refresh(apps.get_model("feedback", "Verdict"), apps.get_model("leads", "Lead"))
    theme_days_rebuild()


class Migration(migrations.Migration):
    """The verdicts already there: voice of sales reads its counts from the daily roll-up of pain
    themes, so the leads carry their current verdict's themes and the roll-up is filled from them."""

    dependencies = [
        ("feedback", "0011_default_pain_themes"),
        ("leads", "0027_lead_verdict_themes_and_theme_days"),
    ]

    operations = [migrations.RunPython(theme_days_backfill, migrations.RunPython.noop)]
