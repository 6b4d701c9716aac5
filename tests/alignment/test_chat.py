"""Chat webhooks (Slack, Teams): who gets which post, in which format, and the settings for them."""

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from alignment.models import Notification, NotificationKind, WebhookDelivery, WebhookEndpoint, WebhookKind
from alignment.services import (
    NotificationRow,
    chat_post_many,
    notification_create,
    notification_create_many,
    notification_email_send,
)
from alignment.webhooks import relay
from alignment.webhooks.outbox import CHAT_EVENT
from alignment.webhooks.services import webhook_endpoint_create
from leads.services import lead_hand_off
from tests.alignment.factories import MarketerFactory, RepFactory, TeamFactory
from tests.alignment.receiver import Receiver
from tests.leads.factories import CampaignFactory, LeadFactory


def chat_webhook(manager, *, kind=WebhookKind.SLACK, team=None, user=None, url="http://127.0.0.1:9/chat"):
    return webhook_endpoint_create(url=url, kind=kind, team=team, user=user, by=manager)


def posts_to(endpoint) -> list[dict]:
    return [
        d.event.data
        for d in WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("id")
        if d.event.type == CHAT_EVENT
    ]


def remind(user, message="Going cold: Ada", url="/leads/1/"):
    return notification_create(recipient=user, kind=NotificationKind.REMINDER, message=message, url=url)


# --- who gets a post ------------------------------------------------------------------------


def test_a_reminder_posts_to_the_recipients_team_channel_with_an_absolute_link(manager, private_webhooks, settings):
    settings.ALIGNMENT_BASE_URL = "https://align.example.com/"
    team = TeamFactory()
    rep = RepFactory(team=team, first_name="Ada", last_name="Byron")
    endpoint = chat_webhook(manager, team=team)

    remind(rep, url="/leads/7/")

    assert posts_to(endpoint) == [
        {
            "kind": "reminder",
            "recipient": {"id": rep.id, "username": rep.username, "name": "Ada Byron"},
            "message": "Going cold: Ada",
            "link": "https://align.example.com/leads/7/",
        }
    ]


def test_a_personal_chat_webhook_comes_before_the_teams(manager, private_webhooks):
    team = TeamFactory()
    rep, teammate = RepFactory(team=team), RepFactory(team=team)
    team_channel = chat_webhook(manager, team=team)
    own = chat_webhook(manager, kind=WebhookKind.TEAMS, user=rep, url="http://127.0.0.1:9/own")

    remind(rep, message="For the rep")
    remind(teammate, message="For the teammate")

    assert [p["message"] for p in posts_to(own)] == ["For the rep"]
    assert [p["message"] for p in posts_to(team_channel)] == ["For the teammate"]


def test_a_person_who_turned_chat_off_gets_no_post(manager, private_webhooks):
    team = TeamFactory()
    rep = RepFactory(team=team, chat_notifications=False)
    endpoint = chat_webhook(manager, team=team)

    remind(rep)

    assert posts_to(endpoint) == []
    assert Notification.objects.filter(recipient=rep).count() == 1  # in-app is always on


def test_only_reminders_escalations_feedback_and_campaign_requests_go_to_chat(manager, private_webhooks):
    team = TeamFactory()
    rep = RepFactory(team=team)
    endpoint = chat_webhook(manager, team=team)

    for kind in NotificationKind.values:
        notification_create(recipient=rep, kind=kind, message=kind)

    assert sorted(p["message"] for p in posts_to(endpoint)) == ["escalation", "feedback", "reminder", "request"]


def test_a_switched_off_chat_webhook_gets_nothing_and_event_webhooks_get_no_chat(manager, private_webhooks, webhook):
    team = TeamFactory()
    rep = RepFactory(team=team)
    endpoint = chat_webhook(manager, team=team)
    WebhookEndpoint.objects.filter(id=endpoint.id).update(active=False)

    remind(rep)

    assert not WebhookDelivery.objects.exists()


def test_a_handoff_posts_to_the_reps_chat(manager, private_webhooks):
    team = TeamFactory()
    rep, marketer = RepFactory(team=team), MarketerFactory(first_name="Meg", last_name="Ryan")
    endpoint = chat_webhook(manager, team=team)
    lead = LeadFactory(campaign=CampaignFactory(owner=marketer), name="Ada Lovelace")

    lead_hand_off(lead=lead, rep=rep, note="Met her at the fair.", by=marketer)

    (post,) = posts_to(endpoint)
    assert post["kind"] == "handoff"
    assert post["message"] == "Meg Ryan handed you Ada Lovelace: Met her at the fair."
    assert post["link"].endswith(reverse("leads:detail", args=[lead.id]))


def test_many_notifications_find_their_chat_webhooks_in_one_query(manager, private_webhooks, django_assert_num_queries):
    team = TeamFactory()
    reps = [RepFactory(team=team) for _ in range(5)]
    own = RepFactory()
    chat_webhook(manager, team=team)
    chat_webhook(manager, user=own, kind=WebhookKind.TEAMS, url="http://127.0.0.1:9/own")
    rows = [NotificationRow(r.id, NotificationKind.REMINDER, None, "Cold", "/leads/1/") for r in [*reps, own]]

    # 1. the recipients with chat on, each with their own or their team's webhook
    # 2. the chat events (one INSERT)
    # 3. their deliveries (one INSERT)
    with django_assert_num_queries(3):
        assert chat_post_many(rows=rows) == 6


def test_notification_create_many_posts_each_reminder(manager, private_webhooks):
    team = TeamFactory()
    rep, marketer = RepFactory(team=team), MarketerFactory(team=team)
    endpoint = chat_webhook(manager, team=team)

    notification_create_many(
        rows=[
            NotificationRow(rep.id, NotificationKind.REMINDER, None, "To the rep", "/leads/1/"),
            NotificationRow(marketer.id, NotificationKind.REMINDER, None, "To the marketer", "/leads/1/"),
            NotificationRow(rep.id, NotificationKind.DIGEST, None, "Digest", ""),
        ]
    )

    assert sorted(p["message"] for p in posts_to(endpoint)) == ["To the marketer", "To the rep"]


# --- formats on the wire --------------------------------------------------------------------


def test_slack_gets_text_and_blocks_with_a_button_to_the_lead(manager, private_webhooks, settings):
    settings.ALIGNMENT_BASE_URL = "https://align.example.com"
    team = TeamFactory()
    rep = RepFactory(team=team, first_name="Ada", last_name="")
    with Receiver() as receiver:
        chat_webhook(manager, team=team, url=receiver.url)
        remind(rep, message="Lovelace <Ltd> & co went cold", url="/leads/3/")
        relay.webhook_relay_batch()
        (request,) = receiver.wait_for(1)

    body = json.loads(request.body)
    assert (
        body["text"]
        == "Going cold · for Ada: Lovelace &lt;Ltd&gt; &amp; co went cold https://align.example.com/leads/3/"
    )
    section, message, actions = body["blocks"]
    assert section["text"]["text"] == "*Going cold · for Ada*"
    assert message["text"] == {"type": "mrkdwn", "text": "Lovelace &lt;Ltd&gt; &amp; co went cold"}
    assert actions["elements"][0]["url"] == "https://align.example.com/leads/3/"
    assert WebhookDelivery.objects.get().status == "delivered"


def test_teams_gets_an_adaptive_card_that_opens_the_lead(manager, private_webhooks, settings):
    settings.ALIGNMENT_BASE_URL = "https://align.example.com"
    rep = RepFactory(first_name="Ada", last_name="")
    with Receiver() as receiver:
        chat_webhook(manager, kind=WebhookKind.TEAMS, user=rep, url=receiver.url)
        remind(rep, url="/leads/3/")
        relay.webhook_relay_batch()
        (request,) = receiver.wait_for(1)

    body = json.loads(request.body)
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert [block["text"] for block in card["body"]] == ["Going cold · for Ada", "Going cold: Ada"]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open in Alignment", "url": "https://align.example.com/leads/3/"}
    ]


def test_ping_sends_a_chat_webhook_a_test_message(manager, private_webhooks):
    with Receiver() as receiver:
        endpoint = chat_webhook(manager, team=TeamFactory(), url=receiver.url)
        response = api(manager).post(f"/api/webhooks/{endpoint.id}/ping/")
        relay.webhook_relay_batch()
        (request,) = receiver.wait_for(1)

    assert response.status_code == 202
    assert response.json()["event"] == CHAT_EVENT
    assert "Alignment will post notifications here." in json.loads(request.body)["text"]


# --- email preference -----------------------------------------------------------------------


def test_a_person_who_turned_email_off_gets_no_email(rep, mailoutbox):
    rep.email_notifications = False
    rep.save()
    notification = remind(rep)

    assert notification_email_send(notification_id=notification.id) is False

    assert mailoutbox == []
    notification.refresh_from_db()
    assert notification.email_sent_at is not None  # settled: no sweep enqueues it again


def test_email_still_goes_to_whoever_keeps_it_on(rep, mailoutbox):
    notification = remind(rep)

    assert notification_email_send(notification_id=notification.id) is True
    assert [m.to for m in mailoutbox] == [[rep.email]]


# --- the API --------------------------------------------------------------------------------


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_manager_adds_a_teams_webhook_for_a_team_through_the_api(manager, private_webhooks):
    team = TeamFactory()

    response = api(manager).post(
        "/api/webhooks/", {"url": "http://127.0.0.1:9/teams", "kind": "teams", "team": team.id}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["team"], body["user"], body["events"]) == ("teams", team.id, None, [])
    assert api(manager).get(f"/api/webhooks/{body['id']}/").json()["kind"] == "teams"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "slack"}, "team"),
        ({"kind": "slack", "team": "TEAM", "user": "USER"}, "team"),
        ({"kind": "webhook", "team": "TEAM", "events": ["*"]}, "kind"),
        ({"kind": "slack", "team": 999999}, "team"),
        ({"kind": "discord", "team": "TEAM"}, "kind"),
        ({}, "events"),
    ],
)
def test_a_chat_webhook_needs_one_owner_and_a_known_kind(manager, rep, private_webhooks, body, field):
    team = TeamFactory()
    body = {k: team.id if v == "TEAM" else rep.id if v == "USER" else v for k, v in body.items()}

    response = api(manager).post("/api/webhooks/", {"url": "http://127.0.0.1:9/x", **body}, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not WebhookEndpoint.objects.exists()


def test_a_team_has_one_chat_webhook(manager, private_webhooks):
    team = TeamFactory()
    chat_webhook(manager, team=team)

    response = api(manager).post(
        "/api/webhooks/", {"url": "http://127.0.0.1:9/x", "kind": "slack", "team": team.id}, format="json"
    )

    assert response.status_code == 400
    assert "has a chat webhook already" in response.json()["fields"]["team"][0]
    assert WebhookEndpoint.objects.count() == 1


def test_a_chat_webhook_takes_no_events(manager, private_webhooks):
    endpoint = chat_webhook(manager, team=TeamFactory())

    response = api(manager).patch(f"/api/webhooks/{endpoint.id}/", {"events": ["*"]}, format="json")

    assert response.status_code == 400
    endpoint.refresh_from_db()
    assert endpoint.events == []


@pytest.mark.parametrize("role", ["rep", "marketer"])
def test_only_managers_add_chat_webhooks(request, role, private_webhooks):
    user = request.getfixturevalue(role)
    response = api(user).post(
        "/api/webhooks/", {"url": "http://127.0.0.1:9/x", "kind": "slack", "user": user.id}, format="json"
    )
    assert response.status_code == 403
    assert not WebhookEndpoint.objects.exists()


# --- the pages ------------------------------------------------------------------------------


def test_a_manager_adds_a_slack_webhook_for_a_person_on_the_settings_page(client, manager, rep, private_webhooks):
    client.force_login(manager)

    response = client.post(
        reverse("alignment:webhook-settings"),
        {"form": "chat", "chat-kind": "slack", "chat-url": "http://127.0.0.1:9/slack", "chat-user": rep.username},
    )

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.kind, endpoint.user, endpoint.team) == ("slack", rep, None)
    assert (
        f"Slack: notifications of {rep.display_name}"
        in client.get(reverse("alignment:webhook-settings")).content.decode()
    )


def test_the_settings_page_says_what_is_wrong_with_a_chat_webhook(client, manager, private_webhooks):
    client.force_login(manager)

    response = client.post(
        reverse("alignment:webhook-settings"),
        {"form": "chat", "chat-kind": "teams", "chat-url": "http://127.0.0.1:9/t", "chat-user": "nobody"},
    )

    assert response.status_code == 400
    assert "Nobody is called" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_preferences_page_turns_email_and_chat_off_for_yourself(client, rep):
    client.force_login(rep)
    page = client.get(reverse("alignment:preferences"))
    assert page.status_code == 200
    assert 'href="/account/preferences/"' in client.get(reverse("alignment:notifications")).content.decode()

    response = client.post(reverse("alignment:preferences"), {"email_notifications": "on"})

    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.email_notifications, rep.chat_notifications) == (True, False)
    assert 'name="chat_notifications"' in client.get(reverse("alignment:preferences")).content.decode()


def test_preferences_need_a_login(client):
    response = client.get(reverse("alignment:preferences"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
