import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Exists, OuterRef, Subquery


def fill_current_verdicts(apps, schema_editor):
    """Copy each lead's current verdict onto the lead (0012 rolls up the leads already there)."""
    Lead = apps.get_model("leads", "Lead")
    Verdict = apps.get_model("feedback", "Verdict")
    if not Lead.objects.exists():
        return
    current = Verdict.objects.filter(lead=OuterRef("pk"), current=True)
    Lead.objects.filter(Exists(current)).update(
        verdict=Subquery(current.values("verdict")[:1]), verdict_at=Subquery(current.values("created_at")[:1])
    )


class Migration(migrations.Migration):
    """Reason codes are lead data (rejections and losses carry them): the model moves from feedback
    to leads and keeps its table. The lead also carries its current verdict as a plain value."""

    dependencies = [
        ("feedback", "0005_assignee_is_a_side"),
        ("leads", "0005_dashboard_lead_days"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ReasonCode",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("code", models.SlugField(max_length=50, unique=True)),
                        ("label", models.CharField(max_length=100)),
                        ("active", models.BooleanField(default=True)),
                        ("position", models.PositiveIntegerField(default=100)),
                    ],
                    options={"ordering": ["position", "label"], "db_table": "feedback_reasoncode"},
                ),
                migrations.AlterField(
                    model_name="lead",
                    name="lost_reason",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="leads.reasoncode",
                    ),
                ),
                migrations.AlterField(
                    model_name="handoff",
                    name="reject_reason",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="leads.reasoncode",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="lead",
            name="verdict",
            field=models.CharField(blank=True, choices=[("good", "Good"), ("bad", "Bad")], max_length=4),
        ),
        migrations.AddField(
            model_name="lead",
            name="verdict_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(fill_current_verdicts, migrations.RunPython.noop),
    ]
