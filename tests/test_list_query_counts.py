"""Every list page and list API not pinned beside its own tests: the same number of queries for a
few rows and for many more (no query per row), and that number pinned, so a new query per page is
a decision someone makes, not an accident."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from alignment.models import NotificationKind
from alignment.services import notification_create
from alignment.webhooks.services import webhook_endpoint_create
from dashboard.services import revenue_goal_set
from feedback.services import verdict_give
from leads.models import ImportJob
from leads.reason_codes import reason_code_create
from leads.services import lead_accept, lead_hand_off
from tests.alignment.factories import MarketerFactory
from tests.leads.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.django_db

SMALL, LARGE = 3, 15


def _notifications(world, k):
    for i in range(k):
        notification_create(recipient=world["rep"], kind=NotificationKind.REMINDER, message=f"N{i}", lead=world["lead"])


def _verdicts(world, k):
    for _ in range(k):
        lead = LeadFactory(campaign=world["campaign"])
        lead_hand_off(lead=lead, rep=world["rep"], note="Demo.", by=world["marketer"])
        lead_accept(lead=lead, by=world["rep"])
        verdict_give(lead=lead, by=world["rep"], verdict="bad", reason="no_budget", note="Frozen.")


def _reasons(world, k):
    for _ in range(k):
        world["n"] = world.get("n", 0) + 1
        reason_code_create(label=f"Reason {world['n']}", by=world["manager"])


def _campaigns(world, k):
    CampaignFactory.create_batch(k, owner=MarketerFactory())


def _webhooks(world, k):
    for i in range(k):
        webhook_endpoint_create(url=f"http://127.0.0.1:9/h{i}", events=["*"], by=world["manager"])


def _imports(world, k):
    for i in range(k):
        ImportJob.objects.create(by=world["marketer"], campaign=world["campaign"], filename=f"f{i}.csv", total_bytes=1)


def _audit(world, k):
    for i in range(k):
        revenue_goal_set(period="month", starts_on=date(2026, i % 12 + 1, 1), amount=1000 + i, by=world["manager"])


# (who, url, what grows it, the queries it takes)
CASES = [
    ("rep", "/notifications/", _notifications, 4),
    ("rep", "/api/notifications/", _notifications, 1),
    ("marketer", "/feedback/insights/", _verdicts, 5),
    ("marketer", "/api/feedback/insights/", _verdicts, 2),
    ("manager", "/feedback/reasons/", _reasons, 4),
    ("marketer", "/api/feedback/reasons/", _reasons, 1),
    ("marketer", "/api/campaigns/", _campaigns, 1),
    ("manager", "/api/webhooks/", _webhooks, 1),
    ("manager", "/settings/webhooks/", _webhooks, 6),
    ("marketer", "/leads/import/", _imports, 6),
    ("manager", "/settings/audit/", _audit, 4),
]


def _queries(world, who, url):
    user = world[who]
    if url.startswith("/api/"):
        client = APIClient()
        client.force_authenticate(user)
    else:
        client = world["client"]
        client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


@pytest.mark.parametrize(("who", "url", "grow", "pinned"), CASES, ids=[case[1] for case in CASES])
def test_list_takes_the_same_queries_for_few_or_many_rows(
    client, marketer, rep, manager, campaign, private_webhooks, who, url, grow, pinned
):
    lead = LeadFactory(campaign=campaign)
    world = {"client": client, "marketer": marketer, "rep": rep, "manager": manager, "campaign": campaign, "lead": lead}
    grow(world, SMALL)
    few = _queries(world, who, url)
    grow(world, LARGE - SMALL)
    many = _queries(world, who, url)
    assert (few, many) == (pinned, pinned), url
