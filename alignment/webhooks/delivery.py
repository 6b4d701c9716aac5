"""One delivery on the wire: the signature, the address check, and the POST itself.

The POST uses the standard library's `http.client` on a socket opened to the address that was
checked, so a name that resolves to a public address at the check and to a private one a moment
later (DNS rebinding) cannot slip through between the two. Redirects are never followed (a 3xx is
a failed attempt), and at most `MAX_RESPONSE_BYTES` of the answer are read.
"""

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Alignment-Webhooks/1"


class UnsafeUrl(ValueError):
    """A webhook URL that may not be called: not http(s), or its host is on a private network."""


def webhook_sign(*, secret: str, body: bytes, timestamp: int) -> str:
    """The `X-Alignment-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _address_refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified


def webhook_url_resolve(url: str) -> tuple[str, str, int, str]:
    """Check `url` and resolve its host: `(scheme, host, port, address to connect to)`.

    Raises UnsafeUrl for anything but http/https, and for a host any of whose addresses is
    loopback, private, link-local, multicast or reserved — unless ALIGNMENT_WEBHOOK_ALLOW_PRIVATE.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("Use an http or https URL.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl("The URL's port is not a number.") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeUrl(
            f"The host {parts.hostname} was not found: no address answers to that name. Check the URL for a typo."
        ) from None
    addresses = [info[4][0] for info in infos]
    if not settings.ALIGNMENT_WEBHOOK_ALLOW_PRIVATE and any(_address_refused(a) for a in addresses):
        raise UnsafeUrl(
            f"The host {parts.hostname} is on a private, loopback or link-local network, which webhooks do not "
            "call. To try webhooks on your own machine, start Alignment with ALIGNMENT_WEBHOOK_ALLOW_PRIVATE=1."
        )
    return parts.scheme, parts.hostname, port, addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int | None  # the HTTP status, or None when there was no answer
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def webhook_post(*, url: str, secret: str, event_id: str, event_type: str, body: bytes) -> Outcome:
    """POST one signed event; never raises for anything the receiver or the network does."""
    try:
        scheme, host, port, address = webhook_url_resolve(url)
    except UnsafeUrl as error:
        return Outcome(None, str(error))
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Alignment-Event": event_type,
        "X-Alignment-Delivery": event_id,
        "X-Alignment-Signature": webhook_sign(secret=secret, body=body, timestamp=int(time.time())),
    }
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = cls(host, port, address, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return Outcome(response.status)
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:300])
    finally:
        connection.close()
