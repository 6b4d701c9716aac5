"""The shared cache's backend when REDIS_URL is set: Django's Redis cache, reusing its clients.
(A module of its own: the cache is built from settings, before any model may be imported.)"""

from django.core.cache.backends import redis as redis_backend


class RedisCacheClient(redis_backend.RedisCacheClient):
    """Django's client builds a new redis-py client for every cache call (a few hundred
    microseconds each: three per API request, for the token and the throttle); one client per
    connection pool serves them all, redis-py's clients being safe to share between threads."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(index))
        return client


class RedisCache(redis_backend.RedisCache):
    """Django's Redis cache, with `RedisCacheClient`: the shared cache when REDIS_URL is set."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
