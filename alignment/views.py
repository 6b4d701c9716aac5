import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from alignment.celery import app as celery_app

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    """Database and broker status: 200 while the database answers, 503 when it does not."""
    body = {"database": "ok", "broker": "ok"}
    status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("Health check: the database does not answer")
        body["database"] = "unavailable"
        status = 503
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        logger.warning("Health check: the broker does not answer", exc_info=True)
        body["broker"] = "unavailable"
    return JsonResponse(body, status=status)
