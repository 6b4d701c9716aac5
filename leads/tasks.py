"""Celery tasks for leads. Thin: they take ids, and the services do the work."""

from celery import shared_task

from leads import cold, imports


@shared_task(name="leads.tasks.import_job_run", ignore_result=True)
def import_job_run(job_id: int) -> None:
    """Import a queued CSV file. Delivered twice, the second run finds the job taken and stops."""
    imports.import_job_run(job_id=job_id)


@shared_task(name="leads.tasks.sweep_cold_leads", ignore_result=True)
def sweep_cold_leads() -> None:
    """The beat's cold-lead sweep. Two of them at once are harmless: the constraints decide."""
    cold.cold_leads_sweep()
