"""The outbox: an event row and its deliveries are written in the transaction of the change they
report, so a change that rolls back emits nothing and a change that commits is never lost. The
relay is enqueued when the transaction commits; the beat sweep finds whatever that enqueue missed.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from alignment.enqueue import task_send
from alignment.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookKind

logger = logging.getLogger(__name__)

EVENT_TYPES = (
    "lead.captured",
    "lead.handed_off",
    "lead.accepted",
    "lead.rejected",
    "lead.qualified",
    "lead.won",
    "lead.lost",
    "lead.recycled",
    "lead.merged",
    "lead.cold",
    "lead.escalated",
    "verdict.given",
    "feedback.created",
    "feedback.resolved",
    "campaign_request.created",
    "campaign_request.updated",
    "ping",
)
ALL_EVENTS = "*"
# A notification posted to a chat webhook: its own event type, which no webhook subscribes to.
CHAT_EVENT = "chat.message"
PRUNE_BATCH = 5000
# The task that runs the relay (`alignment.tasks`), sent by name.
WEBHOOK_RELAY_TASK = "alignment.tasks.webhook_relay"


def webhook_endpoints_active() -> list[tuple[int, list]]:
    """`(id, events)` of every active endpoint: one query, for a caller emitting several types."""
    return list(WebhookEndpoint.objects.filter(active=True, kind=WebhookKind.WEBHOOK).values_list("id", "events"))


def webhook_subscribers(event_type: str, *, endpoints=None) -> list[int]:
    """The ids of the active endpoints that want `event_type`. Endpoints are few, so the match on
    their event lists is done here rather than in database-specific JSON operators."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event {event_type!r}")
    if endpoints is None:
        endpoints = webhook_endpoints_active()
    return [pk for pk, events in endpoints if ALL_EVENTS in events or event_type in events]


def webhook_event_emit(*, event_type: str, data: dict, endpoint_ids=None) -> WebhookEvent | None:
    """Record one event for its subscribers (or for `endpoint_ids`); None when nobody listens."""
    events = webhook_events_emit_many(event_type=event_type, items=[data], endpoint_ids=endpoint_ids)
    return events[0] if events else None


def webhook_events_emit_many(*, event_type: str, items: list[dict], endpoint_ids=None) -> list[WebhookEvent]:
    """Record an event per `data` dict in `items`, each with a delivery per subscriber: two INSERTs
    however many there are. Must run inside the transaction of the change the events report."""
    if endpoint_ids is None:
        endpoint_ids = webhook_subscribers(event_type)
    if not items or not endpoint_ids:
        return []
    return _outbox_write(event_type, [(data, endpoint_ids) for data in items])


def chat_posts_emit(*, posts: list[tuple[dict, int]]) -> list[WebhookEvent]:
    """Record a `chat.message` event per `(data, endpoint id)`, delivered to that chat webhook only;
    the relay turns `data` into the chat's message format. Two INSERTs however many."""
    if not posts:
        return []
    return _outbox_write(CHAT_EVENT, [(data, [endpoint_id]) for data, endpoint_id in posts])


def _outbox_write(event_type: str, items: list[tuple[dict, list[int]]]) -> list[WebhookEvent]:
    now = timezone.now()
    events = [WebhookEvent(id=uuid.uuid4(), type=event_type, data=data, created_at=now) for data, _ in items]
    WebhookEvent.objects.bulk_create(events)
    _deliveries_insert(
        [
            (endpoint_id, event.id)
            for event, (_, endpoint_ids) in zip(events, items, strict=True)
            for endpoint_id in endpoint_ids
        ],
        now=now,
    )
    transaction.on_commit(webhook_relay_enqueue)
    return events


def _deliveries_insert(pairs: list[tuple[int, uuid.UUID]], *, now) -> None:
    """A pending delivery per `(endpoint id, event id)`, for the endpoints that still exist: one
    `INSERT … SELECT` joined to the endpoints, so a list of endpoints read a moment before an
    endpoint was deleted (another process's memory, say) writes nothing for it instead of breaking
    the capture on the foreign key. On PostgreSQL the endpoint rows are held `FOR KEY SHARE` until
    the commit: a deletion under way waits for this transaction and then takes these deliveries
    with it, or this statement waits for the deletion and finds the endpoint gone."""
    if not pairs:
        return
    event_field = WebhookDelivery._meta.get_field("event").target_field
    delivery, endpoint = WebhookDelivery._meta.db_table, WebhookEndpoint._meta.db_table
    values = ", ".join(["(%s, %s)"] * len(pairs))
    lock = " FOR KEY SHARE OF e" if connection.vendor == "postgresql" else ""
    sql = (
        f"INSERT INTO {delivery} (endpoint_id, event_id, status, attempts, error, next_attempt_at, created_at) "
        f"SELECT e.id, v.column2, %s, 0, '', %s, %s FROM (VALUES {values}) AS v "
        f"JOIN {endpoint} e ON e.id = v.column1{lock}"
    )
    at = connection.ops.adapt_datetimefield_value(now)
    params = [DeliveryStatus.PENDING.value, at, at]
    for endpoint_id, event_id in pairs:
        params += [endpoint_id, event_field.get_db_prep_value(event_id, connection)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def webhook_relay_enqueue() -> bool:
    """Ask a worker to run the relay now. Never raises: with the broker down the deliveries wait in
    the database for the beat sweep, a minute later at most."""
    if not task_send(WEBHOOK_RELAY_TASK):
        logger.warning("Could not enqueue the webhook relay: the deliveries wait for the beat's sweep.")
        return False
    return True


def webhook_events_prune(*, now=None) -> int:
    """Delete the events older than ALIGNMENT_WEBHOOK_KEEP_DAYS with nothing left to send, and their
    deliveries, in batches; returns how many events went.

    Delivered and failed deliveries are kept that long (a failed one can be redelivered by hand
    until then). A pending one keeps its event however old it is: its endpoint may be switched off,
    and its undelivered events wait for it.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.ALIGNMENT_WEBHOOK_KEEP_DAYS)
    old = WebhookEvent.objects.filter(created_at__lt=cutoff).exclude(deliveries__status=DeliveryStatus.PENDING)
    pruned = 0
    while ids := list(old.values_list("id", flat=True)[:PRUNE_BATCH]):
        with transaction.atomic():
            WebhookDelivery.objects.filter(event_id__in=ids).delete()
            WebhookEvent.objects.filter(id__in=ids).delete()
        pruned += len(ids)
    return pruned
