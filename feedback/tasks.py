"""Celery tasks for the feedback loop. Thin: the services do the work."""

from celery import shared_task

from feedback import services


@shared_task(name="feedback.tasks.feedback_overdue_remind", ignore_result=True)
def feedback_overdue_remind() -> None:
    """The beat's reminder of overdue feedback items. Two at once are harmless: each item is
    claimed by one UPDATE."""
    services.feedback_overdue_remind()
