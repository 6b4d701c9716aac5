"""Short-lived caches in front of rows that nearly every capture reads and that rarely change.

- The caller's token (with its user) is in the shared cache (Redis when configured): deleting the
  token or changing the user drops it for every process at once.
- Campaigns, verticals and the active webhook endpoints are in each process's own memory
  (`local_cached`) for LOCAL_SECONDS: reading them costs no round trip at all. A change drops the
  entry in the process that made it at once, and the others read it again within LOCAL_SECONDS.

The receivers that drop entries are connected in the apps' `ready`: cache plumbing, not business
logic, and they catch the admin's saves and deletes too.
"""

import hashlib

from django.core.cache import cache, caches
from django.db.models.signals import post_delete, post_save
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from alignment.models import User, Vertical, WebhookEndpoint
from alignment.webhooks.outbox import webhook_endpoints_active

# A deactivated user or a deleted token is refused at once where the cache is shared (Redis), and
# within this many seconds by a process with its own cache.
TOKEN_TTL_SECONDS = 30
LOCAL_SECONDS = 5
VERTICALS_KEY = "alignment:verticals"
WEBHOOK_ENDPOINTS_KEY = "alignment:webhook-endpoints"


def local_cached(key: str, load):
    """`load()`, remembered by this process for LOCAL_SECONDS (a None is not remembered)."""
    local = caches["local"]
    value = local.get(key)
    if value is None:
        value = load()
        if value is not None:
            local.set(key, value, LOCAL_SECONDS)
    return value


def local_forget(key: str) -> None:
    caches["local"].delete(key)


def _token_cache_key(key: str) -> str:
    # The cache never holds a usable token, only its digest.
    return "alignment:token:" + hashlib.sha256(key.encode()).hexdigest()


class CachedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, with the token and its user read from the cache when there."""

    def authenticate_credentials(self, key):
        cache_key = _token_cache_key(key)
        found = cache.get(cache_key)
        if found is None:
            found = super().authenticate_credentials(key)  # refuses unknown keys and inactive users
            cache.set(cache_key, found, TOKEN_TTL_SECONDS)
        return found


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
    post_delete.connect(token_forget, sender=Token, dispatch_uid="alignment-token-forget")
    post_save.connect(user_tokens_forget, sender=User, dispatch_uid="alignment-user-tokens-forget")
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(vertical_map_forget, sender=Vertical, dispatch_uid=f"alignment-verticals-forget-{name}")
        signal.connect(webhook_endpoints_forget, sender=WebhookEndpoint, dispatch_uid=f"alignment-hooks-forget-{name}")
