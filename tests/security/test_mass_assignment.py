"""Mass assignment: a client may not set what the server owns (status, owner, ids, dates, amounts,
counts) through any endpoint that writes. Each such field is a 400 that names it: never silently
dropped, never applied.

Every write route of the permission matrix is tried, by an actor its rule allows, with its valid
body plus the server's fields; nothing may change.
"""

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from alignment.models import Notification, WebhookEndpoint
from feedback.models import FeedbackItem, FeedbackReply, Verdict
from leads.models import Handoff, ImportJob, Lead, LeadEvent
from tests.security.test_permission_matrix import ACTORS, RULES, api

# The matrix reads webhooks with GET; creating one is a write too.
WRITE_RULES = {
    **RULES,
    "api-webhooks": api(
        "POST",
        lambda w: "/api/webhooks/",
        "403 403 403 403 ok",
        lambda w: {"url": "http://127.0.0.1:9/other", "events": ["lead.won"]},
    ),
}

# What the server alone sets, on leads, handoffs, feedback, imports and webhooks.
SERVER_FIELDS = {
    "id": 1,
    "status": "won",
    "owner": 1,
    "captured_by": 1,
    "created_at": "2020-01-01T00:00:00Z",
    "accepted_at": "2020-01-01T00:00:00Z",
    "won_at": "2020-01-01T00:00:00Z",
    "won_amount": "1000000.00",
    "touch_count": 99,
    "recycle_count": 99,
    "secret": "chosen-by-the-client",
    "attempts": 0,
}

WRITES = sorted(
    name
    for name, rule in WRITE_RULES.items()
    if rule.json and rule.body is not None and rule.method in ("POST", "PATCH")
)


def state():
    """What a refused write must leave as it was."""
    return {
        "leads": sorted(Lead.objects.values_list("id", "status", "owner_id", "touch_count", "won_amount")),
        "events": LeadEvent.objects.count(),
        "handoffs": Handoff.objects.count(),
        "feedback": sorted(FeedbackItem.objects.values_list("id", "status")),
        "replies": FeedbackReply.objects.count(),
        "verdicts": Verdict.objects.count(),
        "imports": ImportJob.objects.count(),
        "webhooks": sorted(WebhookEndpoint.objects.values_list("id", "secret", "description")),
        "unread": Notification.objects.filter(read=False).count(),
    }


def test_every_write_endpoint_is_tried():
    # The create and update endpoints of the API (the public ones too).
    assert set(WRITES) >= {
        "token",
        "leads-api:capture",
        "leads-api:lead-list",
        "leads-api:lead-bulk",
        "leads-api:import-create",
        "leads-api:lead-hand-off",
        "feedback-api:lead-won",
        "feedback-api:verdict",
        "feedback-api:replies",
        "feedback-api:resolve",
        "api-webhooks",
        "api-webhook",
        "api-notification-read",
    }


@pytest.mark.parametrize("name", WRITES)
def test_server_fields_are_refused_by_name(name, world, db):
    rule = WRITE_RULES[name]
    actor = next(actor for actor in ACTORS if rule.expected()[actor] == "ok")
    body = rule.body(world)
    injected = {key: value for key, value in SERVER_FIELDS.items() if key not in body}
    bulk = name == "leads-api:lead-bulk"
    body = {"leads": [{**body["leads"][0], **injected}]} if bulk else {**body, **injected}
    client = APIClient()
    client.force_login(world.users[actor])

    with transaction.atomic():
        before = state()
        response = getattr(client, rule.method.lower())(rule.url(world), body, format=rule.fmt)
        after = state()
        transaction.set_rollback(True)

    if bulk:
        # A batch answers per item: the item is refused, naming each field.
        assert response.status_code == 200, response.content
        [result] = response.json()["results"]
        assert result["status"] == "error" and set(result["errors"]) == set(injected), result
    else:
        assert response.status_code == 400, response.content
        assert set(response.json()["fields"]) == set(injected), response.json()
    assert after == before
