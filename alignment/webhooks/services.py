"""Writes on webhook endpoints: managers add, change and remove them, ping them, redeliver."""

import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alignment.audit import audit_diff, audit_record, audit_snapshot
from alignment.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from alignment.models import (
    CHAT_KINDS,
    AuditArea,
    DeliveryStatus,
    Role,
    Team,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookKind,
)
from alignment.webhooks.delivery import UnsafeUrl, webhook_url_resolve
from alignment.webhooks.outbox import (
    ALL_EVENTS,
    EVENT_TYPES,
    chat_posts_emit,
    webhook_event_emit,
    webhook_relay_enqueue,
)

# What the audit log shows of an endpoint (never its secret).
AUDITED_FIELDS = ("url", "kind", "team", "user", "events", "description", "active")


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


def _clean_chat_owner(kind, team: Team | None, user: User | None) -> None:
    """A chat webhook posts one team's or one person's notifications, and each has at most one."""
    if kind not in WebhookKind.values:
        message = f"Unknown kind {kind!r}: choose one of {', '.join(WebhookKind.values)}."
        raise InvalidInput(message, fields={"kind": [message]})
    if kind not in CHAT_KINDS:
        if team is not None or user is not None:
            message = "Only a Slack or Teams webhook belongs to a team or a person."
            raise InvalidInput(message, fields={"kind": [message]})
        return
    if (team is None) == (user is None):
        message = "Choose the team or the person whose notifications it posts (one of them)."
        raise InvalidInput(message, fields={"team": [message], "user": [message]})
    taken = WebhookEndpoint.objects.filter(team=team) if team is not None else WebhookEndpoint.objects.filter(user=user)
    if taken.exists():
        field, whom = ("team", team.name) if team is not None else ("user", user.username)
        message = f"{whom} has a chat webhook already: delete it first."
        raise InvalidInput(message, fields={field: [message]})


@transaction.atomic
def webhook_endpoint_create(
    *,
    url: str,
    events=(),
    description: str = "",
    kind: str = WebhookKind.WEBHOOK,
    team: Team | None = None,
    user: User | None = None,
    by: User,
) -> WebhookEndpoint:
    """A new endpoint with a fresh secret (32 random bytes, hex): shown once, in the answer.

    A Slack or Teams webhook (`kind`) gets `team`'s or `user`'s notifications instead of events; it
    is signed like any other (chat services ignore the headers)."""
    _require_manager(by)
    _clean_chat_owner(kind, team, user)
    endpoint = WebhookEndpoint.objects.create(
        url=_clean_url(url),
        kind=kind,
        team=team,
        user=user,
        events=[] if kind in CHAT_KINDS else _clean_events(events),
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
        if endpoint.is_chat:
            message = "A chat webhook posts notifications, not events."
            raise InvalidInput(message, fields={"events": [message]})
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
    # Wait for the captures writing deliveries to it (they hold its row FOR KEY SHARE, see
    # outbox._deliveries_insert), so the deletion takes their deliveries too; later ones find it gone.
    list(WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).values_list("pk"))
    audit_record(actor=by, area=AuditArea.WEBHOOK, action="deleted", target=endpoint)
    endpoint.delete()


@transaction.atomic
def webhook_ping(*, endpoint: WebhookEndpoint, by: User):
    """Send the endpoint a `ping` event (whatever it subscribed to), to test the receiver; a chat
    webhook gets a test message."""
    _require_manager(by)
    if not endpoint.active:
        raise TransitionNotAllowed("This webhook is switched off: switch it on before pinging it.")
    if endpoint.is_chat:
        data = {
            "kind": "ping",
            "recipient": {"id": by.id, "username": by.username, "name": by.display_name},
            "message": "Alignment will post notifications here.",
            "link": settings.ALIGNMENT_BASE_URL.rstrip("/") + "/notifications/",
        }
        (event,) = chat_posts_emit(posts=[(data, endpoint.id)])
        return event
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
