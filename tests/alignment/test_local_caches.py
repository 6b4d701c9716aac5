"""Rows each process keeps in its own memory (campaigns, verticals, webhook endpoints) are read
again by every process as soon as a change commits: two processes are simulated by two local
caches over one shared cache, and the transactions commit for real."""

from contextlib import contextmanager

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alignment.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from alignment.webhooks.outbox import webhook_event_emit
from leads.models import Lead, LeadEvent
from tests.alignment.factories import ManagerFactory, MarketerFactory
from tests.leads.factories import CampaignFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def process():
    """`with process("b"):` runs what follows with process b's own memory."""
    memories = {name: LocMemCache(f"test-process-{name}", {}) for name in ("a", "b")}
    previous = caches["local"]

    @contextmanager
    def run_in(name):
        caches["local"] = memories[name]
        try:
            yield
        finally:
            caches["local"] = previous

    yield run_in
    for memory in memories.values():
        memory.clear()
    caches["local"] = previous


@pytest.fixture(autouse=True)
def no_relay(monkeypatch):
    """The deliveries stay queued: what is checked is what was written."""
    monkeypatch.setattr("alignment.webhooks.outbox.webhook_relay_enqueue", lambda: True)


@pytest.fixture
def people(private_webhooks):
    marketer, manager = MarketerFactory(), ManagerFactory()
    clients = {}
    for user in (marketer, manager):
        clients[user.role] = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return marketer, clients["marketer"], clients["manager"]


def _capture(client, campaign, email):
    return client.post("/api/leads/", {"email": email, "name": "Ada", "campaign": campaign.pk}, format="json")


def test_an_endpoint_created_on_one_process_gets_the_next_capture_on_another(process, people):
    marketer, capturer, manager = people
    campaign = CampaignFactory(owner=marketer)
    # given: process b has read the (empty) list of endpoints with a capture
    with process("b"):
        assert _capture(capturer, campaign, "before@example.com").status_code == 201

    # when: an endpoint is created on process a, and the next capture lands on b
    with process("a"):
        created = manager.post("/api/webhooks/", {"url": "http://127.0.0.1:9/in", "events": ["*"]}, format="json")
    assert created.status_code == 201
    with process("b"):
        captured = _capture(capturer, campaign, "first@example.com")

    # then: the capture's event is on its way to the new endpoint
    assert captured.status_code == 201
    deliveries = WebhookDelivery.objects.filter(endpoint_id=created.json()["id"], event__type="lead.captured")
    assert [d.event.data["lead"]["email"] for d in deliveries] == ["first@example.com"]


def test_a_capture_right_after_an_endpoint_is_deleted_answers_201_and_sends_it_nothing(process, people):
    marketer, capturer, manager = people
    campaign = CampaignFactory(owner=marketer)
    endpoint = manager.post("/api/webhooks/", {"url": "http://127.0.0.1:9/in", "events": ["*"]}, format="json").json()
    # given: process b has the endpoint in its memory
    with process("b"):
        assert _capture(capturer, campaign, "before@example.com").status_code == 201
    assert WebhookDelivery.objects.filter(endpoint_id=endpoint["id"]).count() == 1

    # when: it is deleted on process a, and a capture lands on b at once
    with process("a"):
        assert manager.delete(f"/api/webhooks/{endpoint['id']}/").status_code == 204
    with process("b"):
        captured = _capture(capturer, campaign, "after@example.com")

    # then: the capture went in, and nothing is queued for the deleted endpoint
    assert captured.status_code == 201
    assert Lead.objects.filter(email="after@example.com").exists()
    assert not WebhookDelivery.objects.exists()


def test_a_stale_list_naming_a_deleted_endpoint_writes_no_delivery_and_does_not_fail(people):
    # given: a list of endpoints read before one of them was deleted
    _, _, manager = people
    kept = manager.post("/api/webhooks/", {"url": "http://127.0.0.1:9/a", "events": ["*"]}, format="json").json()
    gone = manager.post("/api/webhooks/", {"url": "http://127.0.0.1:9/b", "events": ["*"]}, format="json").json()
    WebhookEndpoint.objects.filter(pk=gone["id"]).delete()

    # when: an event is written for both (and its transaction commits)
    event = webhook_event_emit(event_type="ping", data={}, endpoint_ids=[kept["id"], gone["id"]])

    # then: one delivery, to the endpoint that exists
    assert WebhookEvent.objects.filter(pk=event.pk).exists()
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [kept["id"]]


def test_a_new_campaign_is_usable_at_once_on_every_process(process, people):
    marketer, capturer, _ = people
    with process("b"):
        assert _capture(capturer, CampaignFactory(owner=marketer), "warm@example.com").status_code == 201

    with process("a"):
        campaign = CampaignFactory(owner=marketer, name="Launch")
    with process("b"):
        captured = _capture(capturer, campaign, "new@example.com")

    assert captured.status_code == 201
    assert Lead.objects.get(email="new@example.com").touches.get().campaign_id == campaign.pk


def test_a_campaign_changed_on_one_process_is_read_again_by_the_others(process, people):
    marketer, capturer, _ = people
    campaign = CampaignFactory(owner=marketer, name="Spring fair")
    # given: process b remembers the campaign
    with process("b"):
        assert _capture(capturer, campaign, "one@example.com").status_code == 201

    # when: it is renamed on process a, and a capture lands on b
    with process("a"):
        campaign.name = "Summer fair"
        campaign.save(update_fields=["name"])
    with process("b"):
        assert _capture(capturer, campaign, "two@example.com").status_code == 201

    # then: the new capture names the campaign as it is now
    note = LeadEvent.objects.get(lead__email="two@example.com").note
    assert "Summer fair" in note
