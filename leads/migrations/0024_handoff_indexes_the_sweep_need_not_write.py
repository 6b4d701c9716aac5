import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FK_INDEXES = [
    ("leads_handoff_lead_id_8fe7c243", "lead_id"),
    ("leads_handoff_reject_reason_id_d8d50257", "reject_reason_id"),
    ("leads_handoff_routing_rule_id_738e6bbf", "routing_rule_id"),
    ("leads_handoff_to_rep_id_fa31ac9d", "to_rep_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0022_handoff_rep_open_due_with_lead"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # The foreign keys' own indexes go by name, and only they: asked to drop a field's index, Django
    # would take any single-column index on it, `handoff_one_open_per_lead` included, and drop and
    # re-add (re-check) each foreign key on the whole table.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="handoff",
                    name="lead",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="handoffs",
                        to="leads.lead",
                    ),
                ),
                migrations.AlterField(
                    model_name="handoff",
                    name="reject_reason",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="leads.reasoncode",
                    ),
                ),
                migrations.AlterField(
                    model_name="handoff",
                    name="routing_rule",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="leads.routingrule",
                    ),
                ),
                migrations.AlterField(
                    model_name="handoff",
                    name="to_rep",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="handoffs_received",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=[f"DROP INDEX IF EXISTS {name}" for name, _ in FK_INDEXES],
                    reverse_sql=[f"CREATE INDEX {name} ON leads_handoff ({column})" for name, column in FK_INDEXES],
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="handoff",
            index=models.Index(
                condition=models.Q(("reject_reason__isnull", False)),
                fields=["reject_reason"],
                name="handoff_reject_reason",
            ),
        ),
    ]
