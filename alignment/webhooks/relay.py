"""The relay: claim the deliveries that are due, POST them, record what happened.

Claiming locks a batch with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has one writer
anyway) and moves its `next_attempt_at` a lease ahead before the transaction commits, so the POSTs
run outside any transaction and a second relay, on another worker, takes the next batch instead of
this one. A relay that dies mid-batch leaves its deliveries to come due again when the lease runs out.

A failed attempt (non-2xx, a redirect, no answer within the timeout) is retried with exponential
backoff and jitter; see `webhook_retry_delay`. An endpoint that fails `DISABLE_AFTER` attempts in a
row is switched off and the managers are told.
"""

import json
import logging
import random
import time
from datetime import UTC, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.urls import reverse
from django.utils import timezone

from alignment.models import DeliveryStatus, NotificationKind, Role, User, WebhookDelivery, WebhookEndpoint
from alignment.services import notification_create
from alignment.webhooks.chat import chat_body
from alignment.webhooks.delivery import TIMEOUT_SECONDS, webhook_post

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 10
DISABLE_AFTER = 50
# Delays grow fourfold from the base and stop growing at 960 × base (8 hours at the default 30 s):
# 30 s, 2 min, 8 min, 32 min, 2 h 8 min, then 8 h — the 10 attempts span about 35 hours, and the
# first 8 at least 12 hours even when the jitter (±20 %) shortens every delay.
GROWTH = 4
MAX_DELAY_FACTOR = 960
JITTER = 0.2


def webhook_retry_delay(attempt: int, *, base: float | None = None, rng=random) -> timedelta:
    """How long after failed attempt number `attempt` (1 for the first) the next one is made."""
    base = settings.ALIGNMENT_WEBHOOK_RETRY_BASE_SECONDS if base is None else base
    factor = min(GROWTH ** (attempt - 1), MAX_DELAY_FACTOR)
    return timedelta(seconds=base * factor * rng.uniform(1 - JITTER, 1 + JITTER))


def webhook_body(event, *, endpoint=None) -> bytes:
    """The JSON an event is POSTed as; the same bytes on every attempt. A chat webhook gets the
    chat's own message instead of the event envelope."""
    if endpoint is not None and endpoint.is_chat:
        return chat_body(kind=endpoint.kind, data=event.data)
    created_at = event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    envelope = {"id": str(event.id), "type": event.type, "created_at": created_at, "data": event.data}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True, default=str).encode()


def _claim(*, now, limit) -> list[WebhookDelivery]:
    with transaction.atomic():
        deliveries = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint", "event")
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True)
            .order_by("next_attempt_at", "id")[:limit]
        )
        if deliveries:
            WebhookDelivery.objects.filter(id__in=[d.id for d in deliveries]).update(next_attempt_at=now + LEASE)
    return deliveries


OUTCOME_FIELDS = ("status", "attempts", "response_status", "error", "last_attempt_at", "next_attempt_at")


def _save_outcomes(deliveries) -> None:
    """One UPDATE for the whole batch. On PostgreSQL the values go in as arrays through `unnest`:
    Django's `bulk_update` builds a CASE per field and row, which costs more than the POSTs."""
    if connection.vendor != "postgresql":
        WebhookDelivery.objects.bulk_update(deliveries, OUTCOME_FIELDS)
        return
    sql = f"""
        UPDATE {WebhookDelivery._meta.db_table} AS d
        SET status = v.status, attempts = v.attempts, response_status = v.response_status, error = v.error,
            last_attempt_at = v.last_attempt_at, next_attempt_at = v.next_attempt_at
        FROM unnest(%s::bigint[], %s::text[], %s::int[], %s::int[], %s::text[], %s::timestamptz[], %s::timestamptz[])
            AS v(id, status, attempts, response_status, error, last_attempt_at, next_attempt_at)
        WHERE d.id = v.id
    """
    columns = [[d.id for d in deliveries], *([getattr(d, f) for d in deliveries] for f in OUTCOME_FIELDS)]
    with connection.cursor() as cursor:
        cursor.execute(sql, columns)


def _record(results, *, now) -> list[WebhookEndpoint]:
    """Store each attempt's outcome and each endpoint's run of failures; return the endpoints this
    batch switched off."""
    # Per endpoint: did any attempt succeed, and how many failed after the last success.
    runs = {}
    for delivery, outcome in results:
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_status = outcome.status
        delivery.error = outcome.error
        succeeded, failed_after = runs.get(delivery.endpoint_id, (False, 0))
        if outcome.ok:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.DELIVERED, None
            runs[delivery.endpoint_id] = (True, 0)
            continue
        runs[delivery.endpoint_id] = (succeeded, failed_after + 1)
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delivery.next_attempt_at = now + webhook_retry_delay(delivery.attempts)
    with transaction.atomic():
        _save_outcomes([d for d, _ in results])
        failures = Case(
            *(
                When(id=pk, then=Value(failed) if succeeded else F("consecutive_failures") + failed)
                for pk, (succeeded, failed) in runs.items()
            )
        )
        WebhookEndpoint.objects.filter(id__in=runs).update(consecutive_failures=failures)
        failing = [pk for pk, (_, failed) in runs.items() if failed]
        if not failing:
            return []
        disabled = list(
            WebhookEndpoint.objects.select_for_update()
            .filter(id__in=failing, active=True, consecutive_failures__gte=DISABLE_AFTER)
            .order_by("id")
        )
        if disabled:
            WebhookEndpoint.objects.filter(id__in=[e.id for e in disabled]).update(active=False)
            _tell_managers(disabled)
    return disabled


def _tell_managers(endpoints) -> None:
    managers = list(User.objects.filter(role=Role.MANAGER, is_active=True).order_by("id"))
    for endpoint in endpoints:
        logger.warning("Webhook %s (%s) switched off after %s failures.", endpoint.id, endpoint.url, DISABLE_AFTER)
        message = (
            f"The webhook to {endpoint.url} failed {DISABLE_AFTER} times in a row and was switched off. "
            "Check the receiver, then switch it on again; its undelivered events wait for it."
        )
        for manager in managers:
            notification_create(
                recipient=manager,
                kind=NotificationKind.WEBHOOK,
                message=message,
                url=reverse("alignment:webhook-settings"),
            )


def webhook_relay_batch(*, limit: int = BATCH_SIZE, now=None) -> int:
    """Deliver one batch of due deliveries; returns how many were attempted."""
    deliveries = _claim(now=now or timezone.now(), limit=limit)
    # Receivers that time out could hold the batch past its lease, when another relay may claim
    # the same deliveries: stop in time, and leave the rest to come due when the lease runs out.
    deadline = time.monotonic() + LEASE.total_seconds() - 2 * TIMEOUT_SECONDS
    results = []
    for delivery in deliveries:
        if time.monotonic() > deadline:
            break
        outcome = webhook_post(
            url=delivery.endpoint.url,
            secret=delivery.endpoint.secret,
            event_id=str(delivery.event_id),
            event_type=delivery.event.type,
            body=webhook_body(delivery.event, endpoint=delivery.endpoint),
        )
        results.append((delivery, outcome))
    if results:
        _record(results, now=timezone.now())
    return len(results)


def webhook_relay(*, budget_seconds: float = 50) -> int:
    """Deliver batches until nothing is due or the budget is spent (the beat runs this every minute)."""
    deadline = time.monotonic() + budget_seconds
    total = 0
    while time.monotonic() < deadline:
        attempted = webhook_relay_batch()
        total += attempted
        if attempted < BATCH_SIZE:
            break
    return total
