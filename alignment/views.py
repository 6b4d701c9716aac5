import logging

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
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
from alignment.oidc import oidc_enabled
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


PASSWORD_LOGIN_OFF = "Password login is turned off here: sign in with {name}."


class LoginView(auth_views.LoginView):
    """`/accounts/login/`: the single sign-on link when it is configured, and the password form
    unless `ALIGNMENT_PASSWORD_LOGIN` is off (then a password is refused, never checked)."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            sign_on_name=settings.OIDC_PROVIDER_NAME if oidc_enabled() else None,
            password_login=settings.ALIGNMENT_PASSWORD_LOGIN,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if settings.ALIGNMENT_PASSWORD_LOGIN:
            return super().post(request, *args, **kwargs)
        refusal = PASSWORD_LOGIN_OFF.format(name=settings.OIDC_PROVIDER_NAME)
        return self.render_to_response(self.get_context_data(refusal=refusal), status=403)


def admin_login(request):
    """The admin's login follows the site's: with password login off it is the site's login page."""
    if settings.ALIGNMENT_PASSWORD_LOGIN:
        return admin.site.login(request)
    return LoginView.as_view()(request)
