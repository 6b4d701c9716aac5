"""Webhook endpoints and `GET /api/me/`: permissions, the secret shown once, refused URLs, events."""

import hashlib
import hmac
import json

import pytest
from django.db import transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alignment.errors import InvalidInput
from alignment.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent
from alignment.webhooks.delivery import webhook_sign
from alignment.webhooks.outbox import webhook_event_emit
from alignment.webhooks.relay import MAX_ATTEMPTS, webhook_body, webhook_retry_delay
from alignment.webhooks.services import webhook_endpoint_create
from tests.alignment.factories import TeamFactory


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# --- /api/me/ ---------------------------------------------------------------------------------


def test_me_answers_who_the_caller_is_by_token_and_by_session(rep):
    rep.first_name, rep.last_name, rep.team = "Rita", "Rep", TeamFactory(name="North")
    rep.save()
    token = Token.objects.create(user=rep)
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    by_session = APIClient()
    by_session.force_login(rep)

    for client in (by_token, by_session):
        response = client.get("/api/me/")
        assert response.status_code == 200
        assert response.json() == {
            "id": rep.id,
            "username": rep.username,
            "name": "Rita Rep",
            "email": rep.email,
            "role": "rep",
            "team": {"id": rep.team.id, "name": "North"},
        }


def test_me_is_401_for_anonymous_callers(db):
    response = APIClient().get("/api/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_and_webhooks_are_in_the_schema(manager):
    schema = api(manager).get("/api/schema/?format=json").json()
    assert {"/api/me/", "/api/webhooks/", "/api/webhooks/{id}/deliveries/"} <= set(schema["paths"])


# --- endpoints --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "rep"])
def test_only_managers_manage_webhooks(request, role, webhook):
    user = request.getfixturevalue(role)
    client = api(user)
    assert client.get("/api/webhooks/").status_code == 403
    assert (
        client.post("/api/webhooks/", {"url": "http://127.0.0.1/", "events": ["*"]}, format="json").status_code == 403
    )
    assert client.get(f"/api/webhooks/{webhook.id}/").status_code == 403
    assert client.post(f"/api/webhooks/{webhook.id}/ping/").status_code == 403
    assert client.get(f"/api/webhooks/{webhook.id}/deliveries/").status_code == 403
    assert api().get("/api/webhooks/").status_code == 401


def test_create_shows_the_secret_once(manager, private_webhooks):
    client = api(manager)

    response = client.post(
        "/api/webhooks/",
        {"url": "http://127.0.0.1:8080/in", "events": ["lead.handed_off", "lead.won"], "description": "CRM"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "url", "events", "description", "secret", "active", "created_at", "kind", "team", "user"}
    assert len(bytes.fromhex(body["secret"])) >= 32
    assert body["events"] == ["lead.handed_off", "lead.won"] and body["active"] is True
    assert "secret" not in client.get(f"/api/webhooks/{body['id']}/").json()
    assert "secret" not in client.get("/api/webhooks/").json()["results"][0]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://224.0.0.1/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
    ],
)
def test_urls_on_private_networks_or_other_schemes_are_refused(manager, url):
    response = api(manager).post("/api/webhooks/", {"url": url, "events": ["*"]}, format="json")

    assert response.status_code == 400
    assert "url" in response.json()["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_unknown_events_are_a_field_error(manager, private_webhooks):
    response = api(manager).post(
        "/api/webhooks/", {"url": "http://127.0.0.1/", "events": ["lead.handed_off", "lead.exploded"]}, format="json"
    )

    assert response.status_code == 400
    assert "events" in response.json()["fields"]
    with pytest.raises(InvalidInput):
        webhook_endpoint_create(url="http://127.0.0.1/", events=["lead.exploded"], by=manager)


def test_patch_and_delete(manager, webhook):
    client = api(manager)

    response = client.patch(f"/api/webhooks/{webhook.id}/", {"events": ["ping"], "active": False}, format="json")
    assert response.status_code == 200
    assert response.json()["events"] == ["ping"] and response.json()["active"] is False
    assert client.patch(f"/api/webhooks/{webhook.id}/", {"secret": "mine"}, format="json").status_code == 400

    assert client.delete(f"/api/webhooks/{webhook.id}/").status_code == 204
    assert client.get(f"/api/webhooks/{webhook.id}/").status_code == 404


def test_ping_records_a_ping_delivery_listed_with_the_deliveries(manager, webhook):
    client = api(manager)
    webhook.events = ["lead.won"]
    webhook.save()

    response = client.post(f"/api/webhooks/{webhook.id}/ping/")

    assert response.status_code == 202
    delivery = response.json()
    assert delivery["event"] == "ping" and delivery["status"] == "pending" and delivery["attempts"] == 0
    page = client.get(f"/api/webhooks/{webhook.id}/deliveries/").json()
    assert [d["id"] for d in page["results"]] == [delivery["id"]]
    assert set(page["results"][0]) == {
        "id",
        "event_id",
        "event",
        "status",
        "attempts",
        "response_status",
        "last_attempt_at",
        "next_attempt_at",
    }
    assert WebhookEvent.objects.get().data["actor"] == {"id": manager.id, "username": manager.username}


def test_redeliver_puts_a_delivered_delivery_back_in_the_queue(manager, webhook):
    event = webhook_event_emit(event_type="ping", data={"hello": 1})
    delivery = WebhookDelivery.objects.get(event=event)
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.DELIVERED, 1, None
    delivery.save()

    response = api(manager).post(f"/api/webhooks/{webhook.id}/deliveries/{delivery.id}/redeliver/")

    assert response.status_code == 202
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at is not None
    assert api(manager).post(f"/api/webhooks/{webhook.id}/deliveries/999999/redeliver/").status_code == 404


# --- the outbox -------------------------------------------------------------------------------


def test_an_event_goes_only_to_the_endpoints_that_want_it(manager, private_webhooks):
    everything = webhook_endpoint_create(url="http://127.0.0.1/a", events=["*"], by=manager)
    wins = webhook_endpoint_create(url="http://127.0.0.1/b", events=["lead.won"], by=manager)
    off = webhook_endpoint_create(url="http://127.0.0.1/c", events=["*"], by=manager)
    off.active = False
    off.save()

    webhook_event_emit(event_type="lead.accepted", data={})
    webhook_event_emit(event_type="lead.won", data={})

    pairs = set(WebhookDelivery.objects.values_list("endpoint_id", "event__type"))
    assert pairs == {(everything.id, "lead.accepted"), (everything.id, "lead.won"), (wins.id, "lead.won")}


def test_an_event_in_a_transaction_that_rolls_back_is_not_recorded(webhook):
    with pytest.raises(RuntimeError), transaction.atomic():
        webhook_event_emit(event_type="ping", data={})
        raise RuntimeError("the change failed")

    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()


def test_nothing_is_recorded_while_no_webhook_listens(db):
    assert webhook_event_emit(event_type="lead.won", data={}) is None
    assert not WebhookEvent.objects.exists()


# --- signing and the schedule -----------------------------------------------------------------


def test_signature_is_the_documented_hmac_of_timestamp_and_body():
    body = b'{"id":"1","type":"ping"}'

    header = webhook_sign(secret="s3cret", body=body, timestamp=1700000000)

    t, v1 = (part.split("=", 1)[1] for part in header.split(","))
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert t == "1700000000" and hmac.compare_digest(v1, expected)


def test_body_is_the_documented_envelope(webhook):
    event = webhook_event_emit(event_type="ping", data={"x": 1})

    envelope = json.loads(webhook_body(event))

    assert envelope == {"id": str(event.id), "type": "ping", "created_at": envelope["created_at"], "data": {"x": 1}}
    assert envelope["created_at"].endswith("Z")


class _Lowest:
    @staticmethod
    def uniform(low, high):
        return low


def test_retries_make_at_least_eight_attempts_over_at_least_twelve_hours():
    gaps = [webhook_retry_delay(n, base=30, rng=_Lowest) for n in range(1, MAX_ATTEMPTS)]

    assert MAX_ATTEMPTS >= 8
    assert sum(gaps[:7], start=gaps[0] * 0).total_seconds() >= 12 * 3600
    assert gaps == sorted(gaps)
    assert webhook_retry_delay(1, base=60, rng=_Lowest) == 2 * webhook_retry_delay(1, base=30, rng=_Lowest)


def test_a_bad_event_in_the_list_is_named_with_its_place_in_the_error_shape(manager, webhook):
    client = APIClient()
    client.force_authenticate(manager)

    response = client.patch(f"/api/webhooks/{webhook.pk}/", {"events": ["lead.won", "lead.nope"]}, format="json")

    assert response.status_code == 400
    # `fields` maps each field to a list of messages, for a list field too (the schema says so).
    assert response.json()["fields"] == {"events": ['1: "lead.nope" is not a valid choice.']}
    webhook.refresh_from_db()
    assert webhook.events == ["*"]
