"""Chat posts and webhooks through a real Celery worker on real Redis, with receivers on 127.0.0.1:
reminders from a cold sweep reach Slack and Teams, and a handoff made while Redis is down is
delivered once it is back."""

import json
import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from alignment.models import DeliveryStatus, WebhookDelivery, WebhookKind
from alignment.webhooks.services import webhook_endpoint_create
from leads.cold import cold_leads_sweep
from leads.services import lead_hand_off
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory, TeamFactory
from tests.alignment.receiver import Receiver
from tests.leads.factories import CampaignFactory, LeadFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DEADLINE = 90  # seconds to wait for something the worker should do


def cold_handoff(*, marketer, rep, name):
    """A lead handed off two days ago and left alone: cold now."""
    with time_machine.travel(timezone.now() - timedelta(days=2), tick=False):
        lead = LeadFactory(campaign=CampaignFactory(owner=marketer), name=name)
        lead_hand_off(lead=lead, rep=rep, note="Met at the fair.", by=marketer)
    return lead


def test_a_cold_sweep_reminds_on_slack_and_teams_but_not_whoever_turned_chat_off(
    private_webhooks, settings, celery_services
):
    # given: the sales team posts to Slack, the marketer to their own Teams; one rep turned chat off
    settings.ALIGNMENT_BASE_URL = "https://align.example.com"  # the link is built when the post is written
    manager, sales = ManagerFactory(), TeamFactory(name="Sales")
    marketer = MarketerFactory(first_name="Meg", last_name="Ryan")
    rep = RepFactory(team=sales, first_name="Ada", last_name="Byron")
    quiet = RepFactory(team=sales, first_name="Quinn", last_name="Quiet", chat_notifications=False)
    ada_lead = cold_handoff(marketer=marketer, rep=rep, name="Grace Hopper")
    quiet_lead = cold_handoff(marketer=marketer, rep=quiet, name="Alan Turing")
    with Receiver(timeout=DEADLINE + 60) as slack, Receiver(timeout=DEADLINE + 60) as teams:
        webhook_endpoint_create(url=slack.url, kind=WebhookKind.SLACK, team=sales, by=manager)
        webhook_endpoint_create(url=teams.url, kind=WebhookKind.TEAMS, user=marketer, by=manager)
        celery_services.start_worker()

        # when: the sweep finds both leads cold (reminders to each rep and to the marketer)
        result = cold_leads_sweep()

        # then: the worker's relay posts the rep's reminder to Slack, the marketer's two to Teams
        assert result.reminders == 2
        (slack_post,) = slack.wait_for(1, timeout=DEADLINE)
        teams_posts = teams.wait_for(2, timeout=DEADLINE)
        time.sleep(2)  # nothing more comes: no post for the rep who turned chat off
        assert len(slack.received) == 1 and len(teams.received) == 2

    slack_body = json.loads(slack_post.body)
    assert slack_body["text"].startswith("Going cold · for Ada Byron: ")
    assert "Grace Hopper" in slack_body["text"]
    assert slack_body["blocks"][-1]["elements"][0]["url"] == f"https://align.example.com/leads/{ada_lead.id}/"
    cards = [json.loads(post.body)["attachments"][0]["content"] for post in teams_posts]
    assert {card["body"][0]["text"] for card in cards} == {"Going cold · for Meg Ryan"}
    assert sorted(card["actions"][0]["url"] for card in cards) == sorted(
        f"https://align.example.com/leads/{lead.id}/" for lead in (ada_lead, quiet_lead)
    )
    assert all(d.status == DeliveryStatus.DELIVERED for d in WebhookDelivery.objects.all())


def test_a_handoff_while_redis_is_down_is_delivered_once_redis_is_back(
    private_webhooks, celery_services, own_redis, caplog
):
    # given: the app and the Celery processes use a Redis of this test's own, which stops
    start_redis, stop_redis, url = own_redis
    celery_services.env.update(CELERY_BROKER_URL=url, ALIGNMENT_WEBHOOK_RELAY_EVERY_SECONDS="1")
    manager, sales = ManagerFactory(), TeamFactory()
    marketer, rep = MarketerFactory(), RepFactory(team=sales)
    lead = LeadFactory(campaign=CampaignFactory(owner=marketer), name="Ada Lovelace")
    with Receiver(timeout=DEADLINE + 60) as hook, Receiver(timeout=DEADLINE + 60) as slack:
        webhook_endpoint_create(url=hook.url, events=["lead.handed_off"], by=manager)
        webhook_endpoint_create(url=slack.url, kind=WebhookKind.SLACK, team=sales, by=manager)
        start_redis()
        stop_redis()

        # when: a marketer hands the lead off through the API while Redis is down
        client = APIClient()
        client.force_authenticate(marketer)
        response = client.post(f"/api/leads/{lead.id}/handoff/", {"rep": rep.id, "note": "Met her."}, format="json")

        # then: the handoff succeeds; its webhook and chat post wait in the outbox, no task enqueued
        assert response.status_code == 200, response.content
        assert "Could not enqueue the webhook relay" in caplog.text
        assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 2

        # when: Redis is back, with a worker and beat (whose relay sweep runs every second)
        start_redis()
        celery_services.start_worker()
        celery_services.start_beat()

        # then: the receiver gets the lead.handed_off delivery, and the rep's channel the handoff
        (delivery,) = hook.wait_for(1, timeout=DEADLINE)
        (post,) = slack.wait_for(1, timeout=DEADLINE)

    assert delivery.headers["X-Alignment-Event"] == "lead.handed_off"
    body = json.loads(delivery.body)
    assert body["type"] == "lead.handed_off"
    assert body["data"]["lead"]["id"] == lead.id
    assert body["data"]["lead"]["owner"] == {"id": rep.id, "username": rep.username}
    assert "handed you Ada Lovelace: Met her." in json.loads(post.body)["text"]
