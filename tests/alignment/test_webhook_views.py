"""`/settings/webhooks/`: managers only; add shows the secret once; delete; redeliver."""

import pytest
from django.urls import reverse

from alignment.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from alignment.webhooks.outbox import webhook_event_emit
from alignment.webhooks.services import webhook_endpoint_create


@pytest.mark.parametrize("role", ["marketer", "rep"])
def test_the_page_is_for_managers_only(request, client, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("alignment:webhook-settings")).status_code == 403


def test_adding_a_webhook_shows_its_secret_once(client, manager, private_webhooks):
    client.force_login(manager)

    response = client.post(
        reverse("alignment:webhook-settings"), {"url": "http://127.0.0.1:8080/in", "events": ["lead.won"]}
    )

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    assert endpoint.secret not in client.get(reverse("alignment:webhook-settings")).content.decode()


def test_a_private_url_is_refused_on_the_form(client, manager):
    client.force_login(manager)

    response = client.post(reverse("alignment:webhook-settings"), {"url": "http://127.0.0.1/", "events": ["*"]})

    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_recent_deliveries_redeliver_and_delete(client, manager, private_webhooks, django_assert_num_queries):
    first = webhook_endpoint_create(url="http://127.0.0.1/a", events=["*"], by=manager)
    webhook_endpoint_create(url="http://127.0.0.1/b", events=["*"], by=manager)
    for _ in range(15):
        webhook_event_emit(event_type="ping", data={})
    WebhookDelivery.objects.update(status=DeliveryStatus.DELIVERED, next_attempt_at=None)
    client.force_login(manager)

    # 1. the session
    # 2. the user
    # 3. the endpoints
    # 4. their latest deliveries with their events (one query, a window per endpoint)
    # 5. the teams, for the chat webhook form
    # 6. the unread notifications in the page header
    with django_assert_num_queries(6):
        page = client.get(reverse("alignment:webhook-settings"))
    assert page.content.decode().count("Redeliver") == 20

    delivery = WebhookDelivery.objects.filter(endpoint=first).first()
    client.post(reverse("alignment:webhook-redeliver", args=[first.id, delivery.id]))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING

    client.post(reverse("alignment:webhook-delete", args=[first.id]))
    assert list(WebhookEndpoint.objects.values_list("url", flat=True)) == ["http://127.0.0.1/b"]
