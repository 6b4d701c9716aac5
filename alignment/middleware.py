"""Middleware of the project's own: the headers Django does not set by itself."""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout


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
