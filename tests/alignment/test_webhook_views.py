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


# --- trying a webhook ---------------------------------------------------------------------------


def test_send_test_answers_in_place_and_then_shows_the_receivers_answer(client, manager, private_webhooks):
    from alignment.webhooks.relay import webhook_relay_batch
    from tests.alignment.receiver import Receiver

    with Receiver(statuses=[204]) as receiver:
        endpoint = webhook_endpoint_create(url=receiver.url, events=["lead.won"], by=manager)
        client.force_login(manager)
        page = client.get(reverse("alignment:webhook-settings")).content.decode()
        assert reverse("alignment:webhook-ping", args=[endpoint.id]) in page and "Send test" in page

        # when: the button is pressed (htmx)
        sent = client.post(reverse("alignment:webhook-ping", args=[endpoint.id]), HTTP_HX_REQUEST="true")

        # then: a fragment, not a page, that says the test is on its way and asks again
        delivery = WebhookDelivery.objects.get(endpoint=endpoint, event__type="ping")
        status_url = reverse("alignment:webhook-ping-status", args=[endpoint.id, delivery.id])
        assert sent.status_code == 200 and "<html" not in sent.content.decode()
        assert "Test sent, waiting for the receiver" in sent.content.decode()
        assert f'hx-get="{status_url}"' in sent.content.decode()

        # and once the relay has posted it, the fragment says what the receiver answered, and stops asking
        webhook_relay_batch()
        receiver.wait_for(1)
        answered = client.get(status_url).content.decode()
    assert "Test delivered: the receiver answered HTTP 204." in answered
    assert "hx-get" not in answered
    assert receiver.received[0].headers["X-Alignment-Event"] == "ping"


def test_send_test_to_a_dead_receiver_says_it_was_not_delivered(client, manager, private_webhooks):
    from alignment.webhooks.relay import webhook_relay_batch

    endpoint = webhook_endpoint_create(url="http://127.0.0.1:9/in", events=["*"], by=manager)
    client.force_login(manager)

    sent = client.post(reverse("alignment:webhook-ping", args=[endpoint.id]), HTTP_HX_REQUEST="true")
    webhook_relay_batch()
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    answered = client.get(reverse("alignment:webhook-ping-status", args=[endpoint.id, delivery.id])).content.decode()

    assert sent.status_code == 200
    assert "Test not delivered" in answered and "ConnectionRefusedError" in answered


def test_send_test_without_htmx_goes_back_to_the_page_with_a_message(client, manager, private_webhooks):
    endpoint = webhook_endpoint_create(url="http://127.0.0.1:9/in", events=["*"], by=manager)
    client.force_login(manager)

    response = client.post(reverse("alignment:webhook-ping", args=[endpoint.id]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("alignment:webhook-settings")
    assert "A test was sent to http://127.0.0.1:9/in" in response.content.decode()


@pytest.mark.parametrize("role", ["marketer", "rep"])
def test_send_test_is_for_managers_only(request, client, manager, private_webhooks, role):
    endpoint = webhook_endpoint_create(url="http://127.0.0.1:9/in", events=["*"], by=manager)
    client.force_login(request.getfixturevalue(role))

    assert client.post(reverse("alignment:webhook-ping", args=[endpoint.id]), HTTP_HX_REQUEST="true").status_code == 403
    assert not WebhookDelivery.objects.exists()


def test_an_unresolvable_host_is_said_plainly_on_the_form(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("alignment:webhook-settings"), {"url": "http://no-such-host.invalid/hook", "events": ["*"]}
    )

    assert response.status_code == 400
    assert "The host no-such-host.invalid was not found" in response.content.decode()
    assert "Check the URL for a typo." in response.content.decode()


def test_a_private_url_is_refused_with_how_to_allow_it_on_ones_own_machine(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("alignment:webhook-settings"), {"url": "http://localhost:8080/hook", "events": ["*"]}
    )

    assert response.status_code == 400
    assert "start Alignment with ALIGNMENT_WEBHOOK_ALLOW_PRIVATE=1" in response.content.decode()


def test_the_page_explains_local_testing_and_says_the_retry_period_the_readme_says(client, manager):
    from pathlib import Path

    client.force_login(manager)

    page = " ".join(client.get(reverse("alignment:webhook-settings")).content.decode().split())
    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text().split())

    assert "ALIGNMENT_WEBHOOK_ALLOW_PRIVATE=1" in page
    assert "tried 10 times over about 35 hours" in page
    assert "Ten attempts over about 35 hours" in readme
