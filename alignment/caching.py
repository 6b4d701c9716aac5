"""Short-lived caches in front of rows that nearly every capture reads and that rarely change.

- The caller's token (with its user) is in the shared cache (Redis when configured): deleting the
  token or changing the user drops it for every process at once.
- Campaigns, verticals and the active webhook endpoints are in each process's own memory
  (`local_cached`): reading them costs no round trip at all. Each entry carries the version of
  these rows it was read at; the version is one key in the shared cache, read once per request,
  and replaced when any of these rows changes (as its transaction commits, before the change's
  answer goes out). A webhook endpoint created, a campaign created or changed, in one process is
  therefore seen by the next request of every other one: an integrator's first capture after the
  endpoint's 201 is delivered, and a campaign is usable the moment it exists. LOCAL_SECONDS still
  bounds an entry's life, for a shared cache that lost the version.

The receivers that drop entries are connected in the apps' `ready`: cache plumbing, not business
logic, and they catch the admin's saves and deletes too.
"""

import hashlib
import threading
import uuid

from django.core.cache import cache, caches
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from alignment.models import User, Vertical, WebhookEndpoint
from alignment.webhooks.outbox import webhook_endpoints_active

# A deactivated user or a deleted token is refused at once where the cache is shared (Redis), and
# within this many seconds by a process with its own cache.
TOKEN_TTL_SECONDS = 30
LOCAL_SECONDS = 5
LOCAL_VERSION_KEY = "alignment:local-version"
VERTICALS_KEY = "alignment:verticals"
WEBHOOK_ENDPOINTS_KEY = "alignment:webhook-endpoints"

# The shared version as this thread's current request first read it: one round trip per request
# however many entries it reads. Outside a request (a task, the shell) it is read at each use.
_request = threading.local()


def _request_began(**kwargs):
    _request.active, _request.version = True, None


def _request_ended(**kwargs):
    _request.active, _request.version = False, None


def local_version() -> str:
    """The shared version of the rows kept in processes' memory (a new one if the cache lost it)."""
    version = getattr(_request, "version", None)
    if version is None:
        version = cache.get(LOCAL_VERSION_KEY)
        if version is None:
            cache.add(LOCAL_VERSION_KEY, uuid.uuid4().hex, None)
            version = cache.get(LOCAL_VERSION_KEY)
        if getattr(_request, "active", False):
            _request.version = version
    return version


def local_version_bump() -> None:
    """Every process reads its memory's rows again at its next request. A new random version, not
    a counter: a cache that lost its key and started again cannot hand out an old number."""
    cache.set(LOCAL_VERSION_KEY, uuid.uuid4().hex, None)
    if getattr(_request, "active", False):
        _request.version = None


def local_cached(key: str, load):
    """`load()`, remembered by this process until the shared version changes (LOCAL_SECONDS at
    most; a None is not remembered)."""
    local = caches["local"]
    version = local_version()
    found = local.get(key)
    if found is not None and found[0] == version:
        return found[1]
    value = load()
    if value is not None:
        local.set(key, (version, value), LOCAL_SECONDS)
    return value


def local_forget(key: str) -> None:
    """Drop `key` here at once, and, when the change commits, in every other process."""
    caches["local"].delete(key)
    transaction.on_commit(local_version_bump)


def _token_cache_key(key: str) -> str:
    # The cache never holds a usable token, only its digest.
    return "alignment:token:" + hashlib.sha256(key.encode()).hexdigest()


class CachedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, with the token and its user read from the cache when there."""

    def authenticate_credentials(self, key):
        cache_key = _token_cache_key(key)
        found = _token_and_version(cache_key)
        if found is None:
            found = super().authenticate_credentials(key)  # refuses unknown keys and inactive users
            cache.set(cache_key, found, TOKEN_TTL_SECONDS)
        return found


def _token_and_version(cache_key: str):
    """The cached token, and the shared version noted for this request, in one round trip: an API
    request reads its token first, so the version costs it nothing more."""
    if not getattr(_request, "active", False) or getattr(_request, "version", None) is not None:
        return cache.get(cache_key)
    found = cache.get_many([cache_key, LOCAL_VERSION_KEY])
    _request.version = found.get(LOCAL_VERSION_KEY)
    return found.get(cache_key)


def token_forget(sender, instance, **kwargs):
    cache.delete(_token_cache_key(instance.key))


def user_tokens_forget(sender, instance, update_fields=None, **kwargs):
    """A user's role, name or active flag changed: their token must be read again. A login only
    stamps last_login, which no API reads from the token's user."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    keys = Token.objects.filter(user_id=instance.pk).values_list("key", flat=True)
    cache.delete_many([_token_cache_key(key) for key in keys])


def vertical_map() -> dict[str, Vertical]:
    """Every vertical by lower-cased name; of two that differ only in case, the first by name."""

    def load():
        verticals = {}
        for vertical in Vertical.objects.order_by("name"):
            verticals.setdefault(vertical.name.lower(), vertical)
        return verticals

    return local_cached(VERTICALS_KEY, load)


def vertical_map_forget(*args, **kwargs):
    local_forget(VERTICALS_KEY)


def webhook_endpoints_active_cached() -> list[tuple[int, list]]:
    """`webhook_endpoints_active()`, from this process's memory: a capture asks it every time."""
    return local_cached(WEBHOOK_ENDPOINTS_KEY, webhook_endpoints_active)


def webhook_endpoints_forget(*args, **kwargs):
    local_forget(WEBHOOK_ENDPOINTS_KEY)


def cache_receivers_connect():
    request_started.connect(_request_began, dispatch_uid="alignment-local-version-request-started")
    request_finished.connect(_request_ended, dispatch_uid="alignment-local-version-request-finished")
    post_delete.connect(token_forget, sender=Token, dispatch_uid="alignment-token-forget")
    post_save.connect(user_tokens_forget, sender=User, dispatch_uid="alignment-user-tokens-forget")
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(vertical_map_forget, sender=Vertical, dispatch_uid=f"alignment-verticals-forget-{name}")
        signal.connect(webhook_endpoints_forget, sender=WebhookEndpoint, dispatch_uid=f"alignment-hooks-forget-{name}")
