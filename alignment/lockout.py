"""Login lockout (django-axes): repeated failed logins lock that account; only a far higher count
from one client address, across any usernames (password spraying), locks the address.

One person's typos must not lock out the colleagues behind the same office address, so the address
has its own, much higher limit (`ALIGNMENT_LOGIN_ADDRESS_FAILURE_LIMIT`).

The browser login, the admin login and the token endpoint all authenticate through Django's
`authenticate(request=...)`, so axes counts every failure the same way. Managers lift a lockout in
the admin (Access attempts: delete the row).
"""

import logging

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.db.models import Sum
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


ACCOUNT = "account"
ADDRESS = "address"


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LockoutHandler(AxesDatabaseHandler):
    """`AXES_HANDLER`: the account locks at `AXES_FAILURE_LIMIT` failures, the address (all its
    usernames together) only at `ALIGNMENT_LOGIN_ADDRESS_FAILURE_LIMIT`.

    Axes compares one number with one limit; the failures it is given are the account's, or the
    limit itself once the address has reached its own. What is locked is noted on the request
    (`alignment_locked`), for the message to say it truly.
    """

    def get_failures(self, request, credentials=None) -> int:
        # AXES_LOCKOUT_PARAMETERS is ["username", "ip_address"]: the account's attempts, then the address's.
        by_account, by_address = self.get_user_attempts(request, credentials)
        account = _failures(by_account) if get_client_username(request, credentials) else 0
        limit = settings.AXES_FAILURE_LIMIT
        if account >= limit:
            request.alignment_locked = ACCOUNT
            return account
        if _failures(by_address) >= settings.ALIGNMENT_LOGIN_ADDRESS_FAILURE_LIMIT:
            request.alignment_locked = ADDRESS
            return limit
        return account

    def reset_user_attempts(self, request, credentials=None) -> int:
        """A success clears that account's failures only: a colleague logging in from the same
        address must not lift someone's lockout, nor a sprayer's own login wipe the address's count."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = self.filter_user_attempts(request, credentials)[0].delete()
        return count


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
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    locked = getattr(request, "alignment_locked", ACCOUNT)
    if request.path.startswith("/api/"):
        what = "this account is" if locked == ACCOUNT else "logins from this address are"
        when = f"for {minutes} minute{'s' if minutes != 1 else ''}" if minutes else "for now"
        response = JsonResponse(
            {
                "detail": f"Too many failed logins: {what} locked {when}. "
                "Try again later, or ask a manager to lift the lockout.",
                "code": "locked_out",
                "locked": locked,
            },
            status=429,
        )
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"minutes": minutes, "locked": locked},
            status=429,
        )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
