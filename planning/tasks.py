"""Planning's Celery tasks. Thin: the services do the work, and doing it twice changes nothing."""

from celery import shared_task

from planning import meetings, services


@shared_task(name="planning.tasks.campaign_requests_refresh", ignore_result=True)
def campaign_requests_refresh() -> int:
    """Recompute every open request's evidence and every delivered one's outcome (hourly)."""
    return services.campaign_requests_refresh_all()


@shared_task(name="planning.tasks.action_items_overdue_remind", ignore_result=True)
def action_items_overdue_remind() -> int:
    """Remind owners of overdue action items, each once (the reminder row is unique per item)."""
    return meetings.action_items_overdue_remind()
