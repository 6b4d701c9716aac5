import logging

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from alignment import selectors
from alignment.celery import app as celery_app
from alignment.errors import NotAllowed
from alignment.models import AuditArea
from alignment.pagination import keyset_page

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
def audit_log(request):
    """Managers read who changed roles, SLA settings, routing rules, goals, webhooks and reason
    codes; `?area=` narrows it, `?after=` pages back."""
    area = request.GET.get("area", "")
    try:
        qs = selectors.audit_list(user=request.user, area=area)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from None
    page = keyset_page(qs, request, ordering=("-id",), size=50)
    context = {"page": page, "areas": AuditArea.choices, "area": area if area in AuditArea.values else ""}
    return render(request, "alignment/audit_log.html", context)
