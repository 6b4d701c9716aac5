"""Base tasks through a real Celery worker on Redis: the wiring, end to end."""

import json

import pytest

from alignment.webhooks.services import webhook_endpoint_create
from leads.services import lead_hand_off
from tests.alignment.receiver import Receiver
from tests.leads.factories import LeadFactory


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_handoffs_event_reaches_the_receiver_through_a_real_worker(
    private_webhooks, celery_worker, manager, marketer, rep
):
    # given a webhook on handoffs, pointing at a live receiver
    with Receiver(timeout=60, max_requests=1) as receiver:
        webhook_endpoint_create(url=receiver.url, events=["lead.handed_off"], by=manager)
        lead = LeadFactory(captured_by=marketer)

        # when a marketer hands a lead off (the relay is enqueued when it commits)
        lead_hand_off(lead=lead, rep=rep, note="Asked for a demo.", by=marketer)

        # then the worker delivered its event
        (request,) = receiver.wait_for(1, timeout=45)
    assert request.headers["X-Alignment-Event"] == "lead.handed_off"
    body = json.loads(request.body)
    assert body["type"] == "lead.handed_off" and body["data"]["lead"]["id"] == lead.id
    assert "Task alignment.tasks.webhook_relay[" in celery_worker.log()
