"""Login lockout (django-axes): repeated failed logins lock the account and the client address.

The browser login, the admin login and the token endpoint all authenticate through Django's
`authenticate(request=...)`, so axes counts every failure the same way. Managers lift a lockout in
the admin (Access attempts: delete the row).
"""

import logging

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out account or address before any password is checked.

    A login outside any request (the shell, a management command, the test client's `login()`) has
    no client address to count and nobody to lock out: it goes on to the password check as usual.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def client_address(request):
    """The client's address, read like DRF's throttles read it: `X-Forwarded-For` counts only through
    `ALIGNMENT_NUM_PROXIES` trusted proxies (0: never), so a client cannot choose its own address."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.REST_FRAMEWORK["NUM_PROXIES"]
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return remote


def lockout_response(request, original_response=None, credentials=None):
    """`AXES_LOCKOUT_CALLABLE`: JSON in the API's error shape under /api/, the page elsewhere; both
    429 with `Retry-After` (the cool-off)."""
    # Axes masks names and addresses in its own log; the refusal is logged here with both, so whoever
    # reads the log can tell a forgetful colleague from an attack.
    logger.warning(
        "Login refused, locked out: account %r from %s at %s",
        get_client_username(request, credentials),
        client_address(request),
        request.path,
    )
    cool_off = get_cool_off(request)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {
                "detail": "Too many failed logins: this account is locked for now. "
                "Try again later, or ask a manager to lift the lockout.",
                "code": "locked_out",
            },
            status=429,
        )
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"minutes": max(1, round(cool_off.total_seconds() / 60)) if cool_off else None},
            status=429,
        )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
