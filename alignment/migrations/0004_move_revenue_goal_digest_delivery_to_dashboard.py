"""The revenue goal and the digest's deliveries now belong to the dashboard app.

Their tables stay (dashboard 0001 took them over in state); here the base app lets go of them in
state only, and their content types follow them, so the permissions granted on them survive.
"""

from django.db import migrations

MODELS = ("revenuegoal", "digestdelivery")


def _move_content_types(apps, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue  # a new database: post_migrate creates the content types afterwards
        # A content type created for the target meanwhile (a `migrate` of one app) has no grants yet.
        ContentType.objects.filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])


def content_types_to_dashboard(apps, schema_editor):
    _move_content_types(apps, "alignment", "dashboard")


def content_types_to_alignment(apps, schema_editor):
    _move_content_types(apps, "dashboard", "alignment")


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0003_revenue_goal_digest_delivery"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("dashboard", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="DigestDelivery"),
                migrations.DeleteModel(name="RevenueGoal"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_dashboard, content_types_to_alignment),
    ]
