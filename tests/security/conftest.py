"""The people and objects the security tests try every route on, built once per module."""

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from alignment.models import NotificationKind, WebhookDelivery
from alignment.services import notification_create
from alignment.webhooks.services import webhook_endpoint_create, webhook_ping
from feedback.models import FeedbackItem
from feedback.services import lead_reject_with_feedback
from leads.models import ImportJob, ReasonCode, RoutingRule
from leads.services import lead_accept, lead_hand_off, lead_qualify
from planning.meetings import action_item_create, meeting_get_or_create
from planning.services import campaign_request_accept, campaign_request_start
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory, VerticalFactory
from tests.leads.factories import CampaignFactory, LeadFactory
from tests.planning.factories import file_request


@dataclass
class World:
    """The people and the objects every route is tried on (owned by marketer A and rep A)."""

    users: dict
    campaign: object
    new_lead: object  # captured, with nobody yet
    handed_lead: object  # handed to rep A, waiting for an answer
    accepted_lead: object  # accepted by rep A
    qualified_lead: object  # accepted and qualified by rep A
    item: object  # a feedback item between marketer A and rep A
    job: object  # marketer A's import
    notification: object  # rep A's
    webhook: object
    delivery: object
    reason: object
    routing_rule: object
    campaign_request: object = None  # filed by rep A, new
    accepted_request: object = None  # filed by rep A, accepted by marketer A
    started_request: object = None  # filed by rep A, in progress
    meeting: object = None  # this week's
    action_item: object = None  # rep A's, from this week's meeting


def world_build():
    users = {
        "marketer_a": MarketerFactory(),
        "marketer_b": MarketerFactory(),
        "rep_a": RepFactory(),
        "rep_b": RepFactory(),
        "manager": ManagerFactory(),
    }
    marketer, rep = users["marketer_a"], users["rep_a"]
    campaign = CampaignFactory(owner=marketer)
    new_lead = LeadFactory(campaign=campaign)
    handed_lead = LeadFactory(campaign=campaign)
    lead_hand_off(lead=handed_lead, rep=rep, note="Asked for a demo.", by=marketer)
    accepted_lead = LeadFactory(campaign=campaign)
    lead_hand_off(lead=accepted_lead, rep=rep, note="Asked for pricing.", by=marketer)
    lead_accept(lead=accepted_lead, by=rep)
    qualified_lead = LeadFactory(campaign=campaign)
    lead_hand_off(lead=qualified_lead, rep=rep, note="Asked for a quote.", by=marketer)
    lead_accept(lead=qualified_lead, by=rep)
    lead_qualify(lead=qualified_lead, by=rep)
    rejected_lead = LeadFactory(campaign=campaign)
    lead_hand_off(lead=rejected_lead, rep=rep, note="Visited the booth.", by=marketer)
    lead_reject_with_feedback(lead=rejected_lead, by=rep, reason="not_icp", note="An agency.")
    job = ImportJob.objects.create(
        by=marketer,
        campaign=campaign,
        filename="fair.csv",
        status="done",
        header=["email", "name"],
        failed_rows=[{"line": 2, "values": ["not-an-email", "X"], "errors": ["email: invalid"]}],
        rows_failed=1,
    )
    notification = notification_create(recipient=rep, kind=NotificationKind.REMINDER, message="Going cold.")
    # Campaign requests before the webhook, whose deliveries are then the ping's alone.
    retail = VerticalFactory(name="Retail")
    accepted_request = campaign_request_accept(request=file_request(by=rep, vertical=retail), by=marketer)
    started_request = campaign_request_start(
        request=campaign_request_accept(request=file_request(by=rep, vertical=retail), by=marketer), by=marketer
    )
    campaign_request = file_request(by=rep, vertical=retail)
    meeting = meeting_get_or_create(week=timezone.localdate())
    action_item = action_item_create(
        by=marketer, title="Call back", owner=rep, due=timezone.localdate(), meeting=meeting
    )
    webhook = webhook_endpoint_create(url="http://127.0.0.1:9/hook", events=["*"], by=users["manager"])
    webhook_ping(endpoint=webhook, by=users["manager"])
    return World(
        users=users,
        campaign=campaign,
        new_lead=new_lead,
        handed_lead=handed_lead,
        accepted_lead=accepted_lead,
        qualified_lead=qualified_lead,
        item=FeedbackItem.objects.get(lead=rejected_lead),
        job=job,
        notification=notification,
        webhook=webhook,
        delivery=WebhookDelivery.objects.get(endpoint=webhook),
        reason=ReasonCode.objects.get(code="no_budget"),
        routing_rule=RoutingRule.objects.create(name="Germany", country="DE"),
        campaign_request=campaign_request,
        accepted_request=accepted_request,
        started_request=started_request,
        meeting=meeting,
        action_item=action_item,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module (each test's own changes roll back to it), taken away after."""
    with django_db_blocker.unblock(), override_settings(ALIGNMENT_WEBHOOK_ALLOW_PRIVATE=True), transaction.atomic():
        yield world_build()
        transaction.set_rollback(True)
