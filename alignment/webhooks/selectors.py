"""Reads on webhooks: managers see every endpoint; nobody else sees any."""

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber

from alignment.errors import NotFound
from alignment.models import Role, User, WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list_for_user(*, user: User) -> QuerySet[WebhookEndpoint]:
    if user.role != Role.MANAGER:
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.select_related("team", "user").order_by("-id")


def webhook_endpoint_get_for_user(*, user: User, pk) -> WebhookEndpoint:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such webhook.") from None
    endpoint = webhook_endpoint_list_for_user(user=user).filter(pk=pk).first()
    if endpoint is None:
        raise NotFound("No such webhook.")
    return endpoint


def webhook_delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-id")


def webhook_delivery_get(*, endpoint: WebhookEndpoint, pk) -> WebhookDelivery:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such delivery.") from None
    delivery = webhook_delivery_list(endpoint=endpoint).filter(pk=pk).first()
    if delivery is None:
        raise NotFound("No such delivery.")
    return delivery


def webhook_recent_deliveries(*, endpoint_ids, per_endpoint: int) -> dict[int, list[WebhookDelivery]]:
    """The latest `per_endpoint` deliveries of each endpoint, in one query (a window per endpoint)."""
    rank = Window(RowNumber(), partition_by=[F("endpoint_id")], order_by=F("id").desc())
    rows = (
        WebhookDelivery.objects.filter(endpoint_id__in=endpoint_ids)
        .select_related("event")
        .annotate(rank=rank)
        .filter(rank__lte=per_endpoint)
        .order_by("endpoint_id", "-id")
    )
    recent = {pk: [] for pk in endpoint_ids}
    for delivery in rows:
        recent[delivery.endpoint_id].append(delivery)
    return recent
