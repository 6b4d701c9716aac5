"""The live channel: events for one person's open pages, `GET /api/events/` (Server-Sent Events).

Writing: a service that makes something a person should see at once (a handoff or an offer to a
rep, a notification for the bell) calls `live_publish` in its transaction. The events are rows of
`LiveEvent`, so they commit or roll back with the change; once the transaction commits, one Redis
PUBLISH wakes the streams (when `REDIS_URL` is set).

Reading: the stream is served by the ASGI app (`alignment.asgi`, under uvicorn), apart from the
WSGI workers, which it never ties up. Each open stream waits on an in-process event woken by the
process's one Redis subscription, then reads its new rows — by id, so `Last-Event-ID` resumes a
reconnected stream from the table. Without Redis (the embedded default) a stream reads its rows
every ALIGNMENT_LIVE_POLL_SECONDS instead. A comment line every ALIGNMENT_LIVE_HEARTBEAT_SECONDS
keeps proxies from closing an idle stream, and the rows are read then too, so a wake-up lost with
a Redis restart costs at most one heartbeat.

Served by the WSGI app instead (no ASGI process in front), `/api/events/` answers the events since
`Last-Event-ID` and closes, with a `retry:` that makes the browser ask again: slower, never wrong.
"""

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from alignment.cursors import bound_cursor
from alignment.models import LiveEvent

logger = logging.getLogger(__name__)

CHANNEL = "alignment:live"
# How many events a stream sends in one read; more wait for the next read, a moment later.
READ_BATCH = 200
# What a browser waits before reconnecting a closed stream (milliseconds).
RETRY_MS = 2000


@dataclass(frozen=True, slots=True)
class LiveRow:
    recipient_id: int
    kind: str
    data: dict


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def live_wake(recipient_ids) -> None:
    """Wake the streams of these people (after commit). A Redis that is down costs the streams at
    most one heartbeat of delay; it never fails the request that made the events."""
    if not settings.REDIS_URL or not recipient_ids:
        return
    try:
        _redis().publish(CHANNEL, json.dumps(sorted(set(recipient_ids))))
    except Exception:  # noqa: BLE001 - the database keeps the events; the heartbeat reads them
        logger.warning("Live events: Redis publish failed; streams read on their next heartbeat", exc_info=True)


LIVE_INSERT_SQL = """
INSERT INTO alignment_liveevent (recipient_id, kind, data, created_at)
SELECT r, k, d::jsonb, %s FROM unnest(%b::bigint[], %b::text[], %b::text[]) AS t(r, k, d)
"""


def live_publish(*, rows: list[LiveRow]) -> None:
    """Record events for people's live streams in the caller's transaction; wake them on commit.

    One INSERT however many rows: on PostgreSQL three array parameters sent apart from the statement,
    in binary (a sweep writes tens of thousands of events, which as SQL literals, or as arrays in
    text with every element escaped, cost more to quote and parse than to insert)."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        with bound_cursor() as cursor:
            cursor.execute(
                LIVE_INSERT_SQL,
                [
                    timezone.now(),
                    [r.recipient_id for r in rows],
                    [r.kind for r in rows],
                    [json.dumps(r.data, separators=(",", ":")) for r in rows],
                ],
            )
    else:
        LiveEvent.objects.bulk_create(LiveEvent(recipient_id=r.recipient_id, kind=r.kind, data=r.data) for r in rows)
    recipients = [row.recipient_id for row in rows]
    transaction.on_commit(lambda: live_wake(recipients))


def live_events_since(*, user_id: int, after: int | None, limit: int = READ_BATCH) -> list[tuple[int, str, dict]]:
    """The caller's events after id `after` (None: none — a fresh stream starts from now), oldest
    first: one indexed range read."""
    if after is None:
        return []
    return list(
        LiveEvent.objects.filter(recipient_id=user_id, id__gt=after)
        .order_by("id")
        .values_list("id", "kind", "data")[:limit]
    )


def live_last_id(*, user_id: int) -> int:
    """Where a fresh stream starts: after the caller's newest event (0 when there is none)."""
    row = LiveEvent.objects.filter(recipient_id=user_id).order_by("-id").values_list("id", flat=True).first()
    return row or 0


def live_events_prune(*, older_than) -> int:
    """Events are for pages open now: a day later nobody resumes from them."""
    return LiveEvent.objects.filter(created_at__lt=older_than).delete()[0]


def sse_format(event_id: int, kind: str, data: dict) -> bytes:
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def parse_last_event_id(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


# --- the ASGI side --------------------------------------------------------------------------------


class Hub:
    """This process's one Redis subscription, fanned out to its open streams."""

    def __init__(self):
        self.waiters: dict[int, set[asyncio.Event]] = {}
        self.task = None
        self.up = False

    def register(self, user_id: int) -> asyncio.Event:
        event = asyncio.Event()
        self.waiters.setdefault(user_id, set()).add(event)
        if settings.REDIS_URL and (self.task is None or self.task.done()):
            self.task = asyncio.get_running_loop().create_task(self._listen())
        return event

    def unregister(self, user_id: int, event: asyncio.Event) -> None:
        waiting = self.waiters.get(user_id)
        if waiting is not None:
            waiting.discard(event)
            if not waiting:
                del self.waiters[user_id]

    def wake(self, user_ids) -> None:
        for user_id in user_ids:
            for event in self.waiters.get(user_id, ()):
                event.set()

    async def _listen(self):
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(settings.REDIS_URL)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.up = True
                    # Anything published while (re)subscribing: every stream reads once.
                    self.wake(list(self.waiters))
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            try:
                                self.wake(json.loads(message["data"]))
                            except (TypeError, ValueError):
                                continue
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis went away: poll until it is back
                logger.warning("Live events: Redis subscription lost; retrying", exc_info=True)
            finally:
                self.up = False
                await client.aclose()
            await asyncio.sleep(1)


hub = Hub()


def _authenticate(headers: dict[bytes, bytes]):
    """The caller, from the session cookie or an `Authorization: Token …` header, the way the API
    authenticates; None when neither names an active user."""
    from http.cookies import SimpleCookie
    from importlib import import_module

    from django.contrib.auth import get_user
    from django.http import HttpRequest
    from rest_framework import exceptions

    from alignment.caching import CachedTokenAuthentication

    authorization = headers.get(b"authorization", b"").decode("latin-1")
    if authorization.lower().startswith("token "):
        try:
            user, _ = CachedTokenAuthentication().authenticate_credentials(authorization[6:].strip())
        except exceptions.AuthenticationFailed:
            return None
        return user if user.is_active else None
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # noqa: BLE001 - a malformed cookie header is no session
        return None
    morsel = cookies.get(settings.SESSION_COOKIE_NAME)
    if morsel is None:
        return None
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(morsel.value)
    user = get_user(request)
    return user if user.is_authenticated and user.is_active else None


def _db(function):
    """Run ORM work in a thread, closing connections the way a request does."""
    from asgiref.sync import sync_to_async
    from django.db import close_old_connections

    def run(*args, **kwargs):
        close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False)


async def _json_error(send, status: int, message: str):
    body = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def events_app(scope, receive, send):
    """`GET /api/events/`: the caller's own events as Server-Sent Events, until they disconnect."""
    if scope["method"] not in ("GET", "HEAD"):
        return await _json_error(send, 405, f'Method "{scope["method"]}" not allowed.')
    headers = dict(scope.get("headers") or [])
    user = await _db(_authenticate)(headers)
    if user is None:
        return await _json_error(send, 401, "Authentication credentials were not provided.")
    from urllib.parse import parse_qs

    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    resume = headers.get(b"last-event-id", b"").decode("latin-1") or (query.get("last_event_id") or [""])[0]
    last = parse_last_event_id(resume) if resume else None
    if last is None:
        last = await _db(live_last_id)(user_id=user.id)

    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/event-stream; charset=utf-8"),
                (b"cache-control", b"no-cache, no-store"),
                (b"x-accel-buffering", b"no"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": f"retry: {RETRY_MS}\n: hello\n\n".encode(), "more_body": True})
    if scope["method"] == "HEAD":
        return await send({"type": "http.response.body", "body": b""})

    disconnected = asyncio.Event()

    async def watch():
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected.set()
                return

    watcher = asyncio.get_running_loop().create_task(watch())
    wake = hub.register(user.id)
    heartbeat = settings.ALIGNMENT_LIVE_HEARTBEAT_SECONDS
    poll = settings.ALIGNMENT_LIVE_POLL_SECONDS
    read = _db(live_events_since)
    loop = asyncio.get_running_loop()
    try:
        next_beat = loop.time() + heartbeat
        while not disconnected.is_set():
            wake.clear()
            rows = await read(user_id=user.id, after=last)
            for event_id, kind, data in rows:
                await send({"type": "http.response.body", "body": sse_format(event_id, kind, data), "more_body": True})
                last = event_id
            if len(rows) == READ_BATCH:
                continue
            # With Redis the wake-up says when to read; without it (or while it is down) read often.
            wait = max(0.0, next_beat - loop.time())
            if not hub.up:
                wait = min(wait, poll)
            waits = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(disconnected.wait())]
            try:
                await asyncio.wait(waits, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in waits:
                    task.cancel()
            if loop.time() >= next_beat and not disconnected.is_set():
                await send({"type": "http.response.body", "body": b": heartbeat\n\n", "more_body": True})
                next_beat = loop.time() + heartbeat
    except OSError:
        pass
    finally:
        hub.unregister(user.id, wake)
        watcher.cancel()
    with contextlib.suppress(Exception):  # the client may be gone
        await send({"type": "http.response.body", "body": b""})
