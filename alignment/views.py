import logging

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from alignment.celery import app as celery_app
from alignment.models import Role
from leads import views as lead_pages

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


@login_required
def home(request):
    """A home per role: reps work their inbox, marketers their leads, managers the queue routing
    could not place."""
    user = request.user
    now = timezone.now()
    if user.role == Role.REP:
        return render(request, "alignment/home_rep.html", lead_pages.rep_inbox_context(user=user, now=now))
    if user.role == Role.MANAGER:
        return render(request, "alignment/home_manager.html", lead_pages.managers_queue_context(now=now))
    return render(request, "alignment/home_marketer.html", lead_pages.marketer_home_context(user=user, now=now))
