"""The outbox: an event row and its deliveries are written in the transaction of the change they
report, so a change that rolls back emits nothing and a change that commits is never lost. The
relay is enqueued when the transaction commits; the beat sweep finds whatever that enqueue missed.
"""

import logging
import uuid

from django.db import transaction
from django.utils import timezone

from alignment.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

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
    "ping",
)
ALL_EVENTS = "*"


def webhook_endpoints_active() -> list[tuple[int, list]]:
    """`(id, events)` of every active endpoint: one query, for a caller emitting several types."""
    return list(WebhookEndpoint.objects.filter(active=True).values_list("id", "events"))


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
    now = timezone.now()
    events = [WebhookEvent(id=uuid.uuid4(), type=event_type, data=data, created_at=now) for data in items]
    WebhookEvent.objects.bulk_create(events)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint_id=endpoint_id, event_id=event.id, next_attempt_at=now, created_at=now)
        for event in events
        for endpoint_id in endpoint_ids
    )
    transaction.on_commit(webhook_relay_enqueue)
    return events


def webhook_relay_enqueue() -> bool:
    """Ask a worker to run the relay now. Never raises: with the broker down the deliveries wait in
    the database for the beat sweep, a minute later at most."""
    from alignment.tasks import webhook_relay as task

    try:
        task.delay()
    except Exception:
        logger.warning("Could not enqueue the webhook relay: the broker is unavailable.", exc_info=True)
        return False
    return True
