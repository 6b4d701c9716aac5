"""Middleware of the project's own: the headers Django does not set by itself, the session's idle
timeout, the product's 405 page, and the product's error pages when DEBUG is on."""

import logging
import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import render
from django.views import defaults

from alignment import rest

logger = logging.getLogger("django.request")


def permissions_policy(get_response):
    """`Permissions-Policy` on every response: the browser features the app never uses stay off."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware


SESSION_SEEN_KEY = "alignment_seen_at"
# The last-seen time is written at most this often, so a busy session is not saved on every request.
SESSION_SEEN_RESOLUTION = 60


def session_idle_timeout(get_response):
    """Logs a signed-in session out after `ALIGNMENT_SESSION_IDLE_MINUTES` without a request.

    The clock starts at login (`session_seen_at_login`), so the first request after it writes nothing.
    """

    def middleware(request):
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            seen = session.get(SESSION_SEEN_KEY)
            if seen is not None and now - seen > settings.ALIGNMENT_SESSION_IDLE_MINUTES * 60:
                logout(request)
            elif seen is None or now - seen >= SESSION_SEEN_RESOLUTION:
                session[SESSION_SEEN_KEY] = now
        return get_response(request)

    return middleware


def session_seen_at_login(sender, request, user, **kwargs):
    """`user_logged_in` receiver: a new session starts its idle clock."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_SEEN_KEY] = int(time.time())


class ProductErrorPages:
    """With DEBUG on, Django answers an unknown URL, a 404 and a crash with its technical pages:
    settings, code and URL patterns, shown to whoever meets them. The demo runs with DEBUG on (for
    its static files and plain HTTP), so there these answers are the product's own 404, 400 and
    500 pages, unless `ALIGNMENT_DEBUG_PAGES` is set for a developer who wants Django's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def _in_use(self) -> bool:
        return settings.DEBUG and not settings.ALIGNMENT_DEBUG_PAGES

    def __call__(self, request):
        response = self.get_response(request)
        # `require_POST` and its kin answer a bare 405 with an empty body: a person who follows a link
        # to a form's action (or reloads it) gets the product's page instead, with its Allow header.
        # The API's own 405 is DRF's JSON and not an HttpResponseNotAllowed.
        if isinstance(response, HttpResponseNotAllowed) and not response.content:
            page = render(request, "405.html", {"allowed": response["Allow"]}, status=405)
            page["Allow"] = response["Allow"]
            return page
        # No URL matched: Django's technical 404 came from resolving the URL, before any view ran.
        if self._in_use() and response.status_code == 404 and request.resolver_match is None:
            return rest.not_found(request)
        return response

    def process_exception(self, request, exception):
        if not self._in_use() or isinstance(exception, PermissionDenied):  # 403 is always the product's page
            return None
        if isinstance(exception, Http404):
            return rest.not_found(request, exception)
        if isinstance(exception, (BadRequest, SuspiciousOperation)):
            return defaults.bad_request(request, exception)
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return rest.server_error(request)
