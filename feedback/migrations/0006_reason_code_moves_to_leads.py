import django.db.models.deletion
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Permissions on reason codes follow the model to its new app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="leads", model="reasoncode").exists():
        ContentType.objects.filter(app_label="feedback", model="reasoncode").update(app_label="leads")


class Migration(migrations.Migration):
    """The reason codes' model now lives in leads (same table); only Django's state changes here."""

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("feedback", "0005_assignee_is_a_side"),
        ("leads", "0006_reason_codes_and_current_verdict"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="verdict",
                    name="reason",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="verdicts",
                        to="leads.reasoncode",
                    ),
                ),
                migrations.AlterField(
                    model_name="feedbackitem",
                    name="reason",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="leads.reasoncode",
                    ),
                ),
                migrations.DeleteModel(name="ReasonCode"),
            ],
        ),
        migrations.RunPython(move_content_type, migrations.RunPython.noop),
    ]
