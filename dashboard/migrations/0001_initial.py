"""The revenue goal and the digest's deliveries move from the base app to the dashboard.

State only: the tables exist already (created by alignment 0003) and keep their names.
"""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("alignment", "0003_revenue_goal_digest_delivery"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DigestDelivery",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("week", models.DateField(help_text="The Monday of the week the digest is about.")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "member",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="digests",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "alignment_digestdelivery",
                        "verbose_name_plural": "digest deliveries",
                        "ordering": ["-week", "member_id"],
                        "constraints": [
                            models.UniqueConstraint(fields=("week", "member"), name="digest_once_per_week_per_member")
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="RevenueGoal",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "period",
                            models.CharField(choices=[("month", "Month"), ("quarter", "Quarter")], max_length=7),
                        ),
                        ("starts_on", models.DateField()),
                        (
                            "amount",
                            models.DecimalField(
                                decimal_places=2,
                                max_digits=14,
                                validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                            ),
                        ),
                        ("note", models.TextField(blank=True)),
                        ("set_at", models.DateTimeField()),
                        ("current", models.BooleanField(default=True)),
                        (
                            "set_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "alignment_revenuegoal",
                        "ordering": ["-starts_on", "period", "-set_at", "-id"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("current", True)),
                                fields=("period", "starts_on"),
                                name="revenue_goal_one_current",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("amount__gte", 0)), name="revenue_goal_amount_ge_0"
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
