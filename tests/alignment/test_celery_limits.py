"""Redis hands a task a worker took but did not acknowledge to another worker after the visibility
timeout. So no task may run longer, or wait longer for its retry, than that timeout: it would run
twice at once."""

from django.conf import settings

from alignment import tasks as alignment_tasks
from alignment.celery import app


def _our_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_time_limit_is_below_the_visibility_timeout():
    visibility = settings.CELERY_VISIBILITY_TIMEOUT
    tasks = _our_tasks()
    assert {"leads.tasks.import_job_run", "alignment.tasks.notification_email_send"} <= set(tasks)
    for name, task in tasks.items():
        hard = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        soft = task.soft_time_limit or settings.CELERY_TASK_SOFT_TIME_LIMIT
        assert soft < hard < visibility, name


def test_retry_delays_are_below_the_visibility_timeout():
    email = alignment_tasks.notification_email_send
    assert email.retry_backoff_max == alignment_tasks.EMAIL_RETRY_MAX_SECONDS < settings.CELERY_VISIBILITY_TIMEOUT
    for name, task in _our_tasks().items():
        assert (getattr(task, "default_retry_delay", 0) or 0) < settings.CELERY_VISIBILITY_TIMEOUT, name


def test_redis_uses_the_visibility_timeout_of_the_settings():
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return  # the filesystem broker of the demo has no visibility timeout
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT
