from django.db import migrations
from django.db.models import DurationField, Exists, ExpressionWrapper, F, Min, OuterRef, Subquery


def verdict_waits_backfill(apps, schema_editor):
    """Each lead handed off and judged gets its wait: its earliest verdict less its handoff time,
    as the scorecard has read it so far. On PostgreSQL in one UPDATE joined to the first verdicts
    (a million leads: no statement per lead)."""
    Lead = apps.get_model("leads", "Lead")
    Verdict = apps.get_model("feedback", "Verdict")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE leads_lead l SET verdict_wait = f.first_at - l.handed_off_at "
            "FROM (SELECT lead_id, min(created_at) AS first_at FROM feedback_verdict GROUP BY lead_id) f "
            "WHERE f.lead_id = l.id AND l.handed_off_at IS NOT NULL"
        )
        return
    first = Verdict.objects.filter(lead_id=OuterRef("pk")).values("lead_id").annotate(at=Min("created_at")).values("at")
    judged = Exists(Verdict.objects.filter(lead_id=OuterRef("pk")))
    Lead.objects.filter(judged, handed_off_at__isnull=False).update(
        verdict_wait=ExpressionWrapper(Subquery(first) - F("handed_off_at"), output_field=DurationField())
    )


def reason_days_backfill(apps, schema_editor):
    from feedback.rollup import reason_days_rebuild

    reason_days_rebuild(apps.get_model("feedback", "FeedbackItem"), apps.get_model("feedback", "ReasonDay"))


class Migration(migrations.Migration):
    """The leads and items already there: the scorecard reads its median from the leads' waits and
    its bad reasons from the daily roll-up, so both are filled from the verdicts and items."""

    dependencies = [
        ("feedback", "0008_reason_days"),
        ("leads", "0015_lead_verdict_wait"),
    ]

    operations = [
        migrations.RunPython(verdict_waits_backfill, migrations.RunPython.noop),
        migrations.RunPython(reason_days_backfill, migrations.RunPython.noop),
    ]
