"""The relay against a real HTTP receiver on 127.0.0.1: signatures, retries, redelivery, safety."""

import hashlib
import hmac
import json
import socket
import time

from rest_framework.test import APIClient

from alignment.models import DeliveryStatus, Notification, NotificationKind, WebhookDelivery
from alignment.webhooks import relay
from alignment.webhooks.outbox import webhook_event_emit
from alignment.webhooks.services import webhook_endpoint_create
from tests.alignment.receiver import Receiver


def verify(secret: str, request) -> bool:
    """The receiver's side, as the README shows it."""
    parts = dict(part.split("=", 1) for part in request.headers["X-Alignment-Signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


def relay_until_settled(delivery, *, rounds=20):
    for _ in range(rounds):
        relay.webhook_relay_batch()
        delivery.refresh_from_db()
        if delivery.status != DeliveryStatus.PENDING:
            return delivery
        time.sleep(0.05)
    return delivery


def test_a_delivery_arrives_once_signed_with_the_endpoints_secret(manager, private_webhooks):
    with Receiver() as receiver:
        endpoint = webhook_endpoint_create(url=receiver.url, events=["*"], by=manager)
        event = webhook_event_emit(event_type="ping", data={"hello": "world"})

        assert relay.webhook_relay_batch() == 1
        assert relay.webhook_relay_batch() == 0

        (request,) = receiver.wait_for(1)
    assert verify(endpoint.secret, request)
    assert request.headers["X-Alignment-Event"] == "ping"
    assert request.headers["X-Alignment-Delivery"] == str(event.id)
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {
        "id": str(event.id),
        "type": "ping",
        "created_at": json.loads(request.body)["created_at"],
        "data": {"hello": "world"},
    }
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 1, 200)
    assert delivery.next_attempt_at is None


def test_a_failing_receiver_gets_the_same_delivery_id_until_it_answers(manager, private_webhooks, settings):
    settings.ALIGNMENT_WEBHOOK_RETRY_BASE_SECONDS = 0.01
    with Receiver(statuses=[500, 500, 200]) as receiver:
        webhook_endpoint_create(url=receiver.url, events=["lead.won"], by=manager)
        event = webhook_event_emit(event_type="lead.won", data={})
        delivery = relay_until_settled(WebhookDelivery.objects.get())
        requests = receiver.wait_for(3)

    assert [r.headers["X-Alignment-Delivery"] for r in requests] == [str(event.id)] * 3
    assert len({r.body for r in requests}) == 1
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.DELIVERED, 3, 200)
    assert delivery.endpoint.consecutive_failures == 0


def test_a_failed_attempt_waits_its_backoff(manager, private_webhooks):
    with Receiver(statuses=[503]) as receiver:
        webhook_endpoint_create(url=receiver.url, events=["*"], by=manager)
        webhook_event_emit(event_type="ping", data={})
        relay.webhook_relay_batch()
        receiver.wait_for(1)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (DeliveryStatus.PENDING, 1, 503)
    wait = (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()
    assert 30 * 0.8 <= wait <= 30 * 1.2
    assert relay.webhook_relay_batch() == 0  # not due yet


def test_redirects_are_not_followed(manager, private_webhooks):
    with Receiver(statuses=[302], location="http://127.0.0.1:9/elsewhere") as receiver:
        webhook_endpoint_create(url=receiver.url, events=["*"], by=manager)
        webhook_event_emit(event_type="ping", data={})
        relay.webhook_relay_batch()
        assert len(receiver.wait_for(1)) == 1

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.response_status == 302


def test_redeliver_sends_the_same_event_again(manager, private_webhooks):
    with Receiver() as receiver:
        endpoint = webhook_endpoint_create(url=receiver.url, events=["*"], by=manager)
        webhook_event_emit(event_type="ping", data={})
        relay.webhook_relay_batch()
        delivery = WebhookDelivery.objects.get()
        client = APIClient()
        client.force_authenticate(manager)

        response = client.post(f"/api/webhooks/{endpoint.id}/deliveries/{delivery.id}/redeliver/")
        assert response.status_code == 202
        relay.webhook_relay_batch()
        first, second = receiver.wait_for(2)

    assert first.headers["X-Alignment-Delivery"] == second.headers["X-Alignment-Delivery"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_endpoint_that_keeps_failing_is_switched_off_and_the_managers_told(manager, private_webhooks):
    endpoint = webhook_endpoint_create(url=f"http://127.0.0.1:{_closed_port()}/", events=["*"], by=manager)
    endpoint.consecutive_failures = relay.DISABLE_AFTER - 2
    endpoint.save()
    webhook_event_emit(event_type="ping", data={})
    webhook_event_emit(event_type="lead.won", data={})

    relay.webhook_relay_batch()

    endpoint.refresh_from_db()
    assert endpoint.active is False and endpoint.consecutive_failures == relay.DISABLE_AFTER
    assert WebhookDelivery.objects.filter(response_status=None).exclude(error="").count() == 2
    (notice,) = Notification.objects.filter(recipient=manager, kind=NotificationKind.WEBHOOK)
    assert endpoint.url in notice.message
    # switched off, its deliveries wait instead of being attempted
    WebhookDelivery.objects.update(next_attempt_at=endpoint.created_at)
    assert relay.webhook_relay_batch() == 0


def test_a_delivery_that_runs_out_of_attempts_fails(manager, private_webhooks):
    webhook_endpoint_create(url=f"http://127.0.0.1:{_closed_port()}/", events=["*"], by=manager)
    webhook_event_emit(event_type="ping", data={})
    WebhookDelivery.objects.update(attempts=relay.MAX_ATTEMPTS - 1)

    relay.webhook_relay_batch()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.FAILED,
        relay.MAX_ATTEMPTS,
        None,
    )


def test_the_address_is_checked_again_at_delivery_time(manager, private_webhooks, settings):
    with Receiver() as receiver:
        webhook_endpoint_create(url=receiver.url, events=["*"], by=manager)
        webhook_event_emit(event_type="ping", data={})
        # the name now resolves somewhere private (as after a DNS rebinding)
        settings.ALIGNMENT_WEBHOOK_ALLOW_PRIVATE = False

        relay.webhook_relay_batch()

    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and "private" in delivery.error


def test_relay_query_count_does_not_grow_with_the_batch(manager, private_webhooks, django_assert_num_queries):
    with Receiver(max_requests=60) as receiver:
        first = webhook_endpoint_create(url=receiver.url, events=["*"], by=manager)
        second = webhook_endpoint_create(url=receiver.url + "/2", events=["lead.won"], by=manager)
        for _ in range(25):
            webhook_event_emit(event_type="lead.won", data={})

        # 1. SAVEPOINT (the claim)
        # 2. the due deliveries with their endpoints and events, SELECT … FOR UPDATE SKIP LOCKED
        # 3. their lease: next_attempt_at moved ahead (UPDATE)
        # 4. RELEASE SAVEPOINT — then the 50 POSTs, outside any transaction
        # 5. SAVEPOINT (the outcomes)
        # 6. every delivery's outcome (one bulk UPDATE)
        # 7. every endpoint's run of failures (one UPDATE with a CASE)
        # 8. RELEASE SAVEPOINT
        with django_assert_num_queries(8):
            assert relay.webhook_relay_batch() == 50

        receiver.wait_for(50)
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert {first.id, second.id} == set(WebhookDelivery.objects.values_list("endpoint_id", flat=True))


def test_relay_with_nothing_due_does_nothing(db):
    assert relay.webhook_relay() == 0


def test_a_batch_stops_before_its_lease_runs_out(manager, private_webhooks, monkeypatch):
    # given a lease so short that no POST could finish inside it
    monkeypatch.setattr(relay, "LEASE", relay.timedelta(seconds=2 * relay.TIMEOUT_SECONDS))
    webhook_endpoint_create(url="http://127.0.0.1:9/", events=["*"], by=manager)
    webhook_event_emit(event_type="ping", data={})

    assert relay.webhook_relay_batch() == 0

    # then the delivery was not attempted, and waits for the lease to run out
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    assert delivery.next_attempt_at > delivery.created_at
