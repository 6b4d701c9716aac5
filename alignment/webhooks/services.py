"""Writes on webhook endpoints: managers add, change and remove them, ping them, redeliver."""

import secrets

from django.db import transaction
from django.utils import timezone

from alignment.audit import audit_diff, audit_record, audit_snapshot
from alignment.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from alignment.models import AuditArea, DeliveryStatus, Role, User, WebhookDelivery, WebhookEndpoint
from alignment.webhooks.delivery import UnsafeUrl, webhook_url_resolve
from alignment.webhooks.outbox import ALL_EVENTS, EVENT_TYPES, webhook_event_emit, webhook_relay_enqueue

# What the audit log shows of an endpoint (never its secret).
AUDITED_FIELDS = ("url", "events", "description", "active")


def _require_manager(by: User) -> None:
    if by.role != Role.MANAGER:
        raise NotAllowed("Only managers manage webhooks.")


def _clean_url(url) -> str:
    url = str(url or "").strip()
    if not url:
        raise InvalidInput("A webhook needs a URL.", fields={"url": ["This field is required."]})
    if len(url) > 500:
        raise InvalidInput("The URL is too long.", fields={"url": ["At most 500 characters."]})
    try:
        webhook_url_resolve(url)
    except UnsafeUrl as error:
        raise InvalidInput(str(error), fields={"url": [str(error)]}) from None
    return url


def _clean_events(events) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        raise InvalidInput("Choose the events to send.", fields={"events": ["Choose at least one event."]})
    unknown = [str(e) for e in events if e != ALL_EVENTS and e not in EVENT_TYPES]
    if unknown:
        message = f"Unknown event {unknown[0]!r}: choose from {', '.join(EVENT_TYPES)} or {ALL_EVENTS!r}."
        raise InvalidInput(message, fields={"events": [message]})
    return [ALL_EVENTS] if ALL_EVENTS in events else sorted(set(events), key=EVENT_TYPES.index)


@transaction.atomic
def webhook_endpoint_create(*, url: str, events, description: str = "", by: User) -> WebhookEndpoint:
    """A new endpoint with a fresh secret (32 random bytes, hex): shown once, in the answer."""
    _require_manager(by)
    endpoint = WebhookEndpoint.objects.create(
        url=_clean_url(url),
        events=_clean_events(events),
        description=(description or "").strip()[:200],
        secret=secrets.token_hex(32),
        created_by=by,
    )
    changes = audit_diff({}, audit_snapshot(endpoint, AUDITED_FIELDS))
    audit_record(actor=by, area=AuditArea.WEBHOOK, action="created", target=endpoint, changes=changes)
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, data: dict, by: User) -> WebhookEndpoint:
    """Change the URL, events, description or whether it is on. Switching it on again starts its
    run of failures from zero and sends what waited meanwhile."""
    _require_manager(by)
    before = audit_snapshot(endpoint, AUDITED_FIELDS)
    fields = []
    if "url" in data:
        endpoint.url = _clean_url(data["url"])
        fields.append("url")
    if "events" in data:
        endpoint.events = _clean_events(data["events"])
        fields.append("events")
    if "description" in data:
        endpoint.description = (data["description"] or "").strip()[:200]
        fields.append("description")
    if "active" in data and bool(data["active"]) != endpoint.active:
        endpoint.active = bool(data["active"])
        endpoint.consecutive_failures = 0
        fields += ["active", "consecutive_failures"]
        if endpoint.active:
            transaction.on_commit(webhook_relay_enqueue)
    if fields:
        endpoint.save(update_fields=fields)
    changes = audit_diff(before, audit_snapshot(endpoint, AUDITED_FIELDS))
    audit_record(actor=by, area=AuditArea.WEBHOOK, action="changed", target=endpoint, changes=changes)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, by: User) -> None:
    _require_manager(by)
    audit_record(actor=by, area=AuditArea.WEBHOOK, action="deleted", target=endpoint)
    endpoint.delete()


@transaction.atomic
def webhook_ping(*, endpoint: WebhookEndpoint, by: User):
    """Send the endpoint a `ping` event (whatever it subscribed to), to test the receiver."""
    _require_manager(by)
    if not endpoint.active:
        raise TransitionNotAllowed("This webhook is switched off: switch it on before pinging it.")
    data = {"webhook": {"id": endpoint.id, "url": endpoint.url}, "actor": {"id": by.id, "username": by.username}}
    return webhook_event_emit(event_type="ping", data=data, endpoint_ids=[endpoint.id])


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery, by: User) -> WebhookDelivery:
    """Send a delivery again now, delivered or not: same event, same `X-Alignment-Delivery`."""
    _require_manager(by)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    transaction.on_commit(webhook_relay_enqueue)
    return delivery
