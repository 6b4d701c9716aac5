"""The top floor's Celery task: the weekly digest. Thin: the digest module does the work."""

from datetime import date

from celery import shared_task

from dashboard import digest


@shared_task(name="dashboard.tasks.digest_send_weekly", ignore_result=True)
def digest_send_weekly(week: str | None = None) -> int:
    """Email last week's alignment digest (or `week`'s, YYYY-MM-DD) to every member who has not had it.

    Running it twice, or from two beat processes at once, sends each member one email: the
    delivery rows' unique constraint and their claim decide who sends.
    """
    return digest.digest_send_weekly(week=date.fromisoformat(week) if week else None)
