"""How a service sends work to a Celery worker: by the task's registered name, through the Celery
app, so that no service imports a task module (tasks import services, never the reverse).

A service calls `task_send` from a `transaction.on_commit` callback (a worker must find the rows
the transaction wrote) and never inside an open transaction.
"""

import logging
from importlib import import_module

from alignment.celery import app

logger = logging.getLogger(__name__)


def task_send(name: str, *args) -> bool:
    """Publish the task registered as `name` with `args` (ids); False when it could not be.

    Never raises: a broker that is down must not fail the request or the sweep that asked. It logs
    a warning and answers False; the caller knows what waits for the next try and says so.
    """
    try:
        if app.conf.task_always_eager:
            # CELERY_TASK_ALWAYS_EAGER (debugging): run it in this process, as `.delay()` would;
            # `send_task` ignores the setting. Every task is named `<its module>.<its function>`,
            # so its module is loaded by that name, in case this process has not imported it.
            import_module(name.rpartition(".")[0])
            app.tasks[name].apply(args=args)
        else:
            app.send_task(name, args=args)
    except Exception:
        logger.warning("Could not enqueue %s: the broker is unavailable.", name, exc_info=True)
        return False
    return True
