"""Celery tasks for leads. Thin: they take ids, and the services do the work."""

from celery import shared_task

from leads import cold, imports


# A 100,000-row file takes minutes, more on a busy database: longer limits than the default task's,
# still below the broker's visibility timeout (an hour) so Redis never hands a running import to a
# second worker. Acknowledged late and requeued when its worker dies: a rerun resumes after the last
# committed batch.
@shared_task(
    name=imports.IMPORT_JOB_RUN_TASK,
    ignore_result=True,
    soft_time_limit=45 * 60,
    time_limit=50 * 60,
    acks_late=True,
    reject_on_worker_lost=True,
)
def import_job_run(job_id: int) -> None:
    """Import a queued CSV file. Delivered twice, the second run finds the job taken (or finished)
    and stops; delivered again after its worker died, it resumes where that run stopped."""
    imports.import_job_run(job_id=job_id)


@shared_task(name="leads.tasks.import_jobs_resume", ignore_result=True)
def import_jobs_resume() -> None:
    imports.import_jobs_resume()


@shared_task(name="leads.tasks.sweep_cold_leads", ignore_result=True)
def sweep_cold_leads() -> None:
    """The beat's cold-lead sweep. Two of them at once are harmless: the constraints decide."""
    cold.cold_leads_sweep()
