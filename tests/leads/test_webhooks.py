"""Lead webhook events: each lifecycle move, capture and the cold sweep records its event once, in
the change's own transaction, with the lead as the webhook payload shows it (the keys pinned here,
the values formatted as the lead API formats them)."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from alignment.models import Vertical, WebhookEvent
from feedback.services import verdict_give
from leads.apis.common import LeadOutputSerializer
from leads.capture import lead_capture
from leads.cold import cold_leads_sweep
from leads.models import Lead
from leads.payloads import lead_payload
from leads.services import lead_accept, lead_hand_off, lead_lose, lead_qualify, lead_recycle, lead_reject, lead_win
from tests.leads.factories import LeadFactory
from tests.leads.test_cold import T0, at, handed_off_lead


def events(event_type):
    return list(WebhookEvent.objects.filter(type=event_type).order_by("created_at"))


def the_lead(lead):
    return lead_payload(Lead.objects.select_related("owner", "campaign", "industry").get(pk=lead.pk))


# The webhook's contract: a change here is a change for every receiver, made on purpose.
LEAD_KEYS = [
    "id",
    "email",
    "name",
    "company",
    "title",
    "phone",
    "country",
    "region",
    "industry",
    "estimated_value",
    "source",
    "notes",
    "pain_points",
    "status",
    "owner",
    "campaign",
    "touch_count",
    "last_touch_at",
    "last_activity_at",
    "captured_at",
    "handed_off_at",
    "accepted_at",
    "qualified_at",
    "won_at",
    "lost_at",
    "won_amount",
    "recycle_count",
    "recycle_reason",
    "reengage_after",
    "snoozed_until",
    "snooze_reason",
]


def a_lead_with_every_field(marketer, rep):
    """A won lead with an industry, money, a re-engage date, a snooze and microseconds in its times."""
    lead = LeadFactory(
        captured_by=marketer,
        title="CTO",
        phone="+49 30 1234567",
        region="Berlin",
        industry=Vertical.objects.create(name="Fintech"),
        estimated_value=Decimal("12500.5"),
        notes="Met at the fair.",
        pain_points="Slow onboarding.",
        captured_at=datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC),
    )
    lead_hand_off(lead=lead, rep=rep, note="Wants a demo.", by=marketer)
    lead_accept(lead=lead, by=rep)
    lead_qualify(lead=lead, by=rep)
    lead_win(lead=lead, by=rep, amount="1200")
    Lead.objects.filter(pk=lead.pk).update(
        reengage_after=date(2026, 9, 1), snoozed_until=timezone.now() + timedelta(days=3), snooze_reason="Holiday."
    )
    return Lead.objects.select_related("owner", "campaign", "industry").get(pk=lead.pk)


def test_the_lead_payload_has_exactly_the_pinned_keys(marketer, rep):
    payload = lead_payload(a_lead_with_every_field(marketer, rep))

    assert list(payload) == LEAD_KEYS
    assert list(payload["owner"]) == ["id", "username"]
    assert list(payload["campaign"]) == ["id", "name"]


def stored(data) -> str:
    """The JSON the outbox stores and the relay sends."""
    return json.dumps(data, cls=DjangoJSONEncoder)


@pytest.mark.parametrize(
    "zone, captured_at",
    [("UTC", "2026-03-02T09:30:15.123456Z"), ("Europe/Berlin", "2026-03-02T10:30:15.123456+01:00")],
)
def test_the_lead_payload_formats_each_value_as_the_lead_api_does(marketer, rep, zone, captured_at):
    # given a lead with every field set, read in the company's time zone
    lead = a_lead_with_every_field(marketer, rep)
    with timezone.override(zone):
        api = json.loads(stored(LeadOutputSerializer(lead).data))

        # when the webhook payload is built
        payload = lead_payload(lead)

    # then each of its keys shows the value the API shows, byte for byte once stored as JSON
    assert stored(payload) == stored({key: api[key] for key in LEAD_KEYS})
    assert payload["estimated_value"] == "12500.50" and payload["won_amount"] == "1200.00"
    assert payload["industry"] == "Fintech" and payload["reengage_after"] == "2026-09-01"
    assert payload["captured_at"] == captured_at and payload["status"] == "won"


def test_a_lead_without_owner_industry_or_money_has_nulls_like_the_api(marketer):
    lead = Lead.objects.select_related("owner", "campaign", "industry").get(pk=LeadFactory(captured_by=marketer).pk)

    payload = lead_payload(lead)

    assert payload == {key: LeadOutputSerializer(lead).data[key] for key in LEAD_KEYS}
    assert payload["owner"] is None and payload["industry"] is None and payload["estimated_value"] is None


def test_a_verdict_and_its_feedback_item_carry_the_lead_payload_and_their_own_keys(webhook, marketer, rep):
    lead = LeadFactory(captured_by=marketer)
    lead_hand_off(lead=lead, rep=rep, note="Wants a demo.", by=marketer)
    lead_accept(lead=lead, by=rep)

    verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget", note="No budget this year.")

    (given,) = events("verdict.given")
    assert given.data["lead"] == the_lead(lead)
    # (PostgreSQL's jsonb keeps keys in an order of its own: the sets are the contract.)
    assert set(given.data) == {"lead", "actor", "verdict"}
    assert set(given.data["verdict"]) == {"id", "verdict", "reason", "note"}
    (created,) = events("feedback.created")
    assert set(created.data["feedback"]) == {"id", "kind", "status", "reason", "note", "resolution", "resolution_note"}


def test_capture_records_lead_captured_once_and_not_for_a_duplicate(webhook, marketer, campaign):
    lead, _ = lead_capture(data={"email": "ada@example.com", "name": "Ada"}, campaign=campaign, by=marketer)
    lead_capture(data={"email": "ADA@example.com"}, campaign=campaign, by=marketer)

    (event,) = events("lead.captured")
    assert event.data["actor"] == {"id": marketer.id, "username": marketer.username}
    assert event.data["lead"]["id"] == lead.id and event.data["lead"]["email"] == "ada@example.com"
    assert event.data["lead"]["touch_count"] == 1 and event.data["channel"] == "form"
    assert "timeline" not in event.data["lead"]


def test_each_lifecycle_move_records_its_event_once_with_the_lead_as_the_api_shows_it(webhook, marketer, rep):
    won = LeadFactory(captured_by=marketer)
    lead_hand_off(lead=won, rep=rep, note="Wants a demo.", by=marketer)
    lead_accept(lead=won, by=rep)
    lead_qualify(lead=won, by=rep)
    lead_win(lead=won, by=rep, amount="1200")
    rejected = LeadFactory(captured_by=marketer)
    lead_hand_off(lead=rejected, rep=rep, note="Asked for pricing.", by=marketer)
    lead_reject(lead=rejected, by=rep, reason="spam")
    lead_recycle(lead=rejected, by=marketer, reason="Try next quarter.")
    lost = LeadFactory(captured_by=marketer)
    lead_hand_off(lead=lost, rep=rep, note="Came to the webinar.", by=marketer)
    lead_accept(lead=lost, by=rep)
    lead_lose(lead=lost, by=rep, reason="no_budget")

    expected = {
        "lead.handed_off": [won, rejected, lost],
        "lead.accepted": [won, lost],
        "lead.qualified": [won],
        "lead.won": [won],
        "lead.rejected": [rejected],
        "lead.recycled": [rejected],
        "lead.lost": [lost],
    }
    for event_type, leads in expected.items():
        recorded = events(event_type)
        assert [e.data["lead"]["id"] for e in recorded] == [lead.id for lead in leads], event_type
    (win,) = events("lead.won")
    assert win.data["lead"] == the_lead(won)
    assert win.data["actor"] == {"id": rep.id, "username": rep.username}
    assert (win.data["from_status"], win.data["to_status"]) == ("qualified", "won")
    (handoff, *_) = events("lead.handed_off")
    assert handoff.data["lead"]["owner"] == {"id": rep.id, "username": rep.username}
    assert handoff.data["actor"]["id"] == marketer.id
    assert events("lead.won")[0].deliveries.get().endpoint == webhook


def test_a_move_that_rolls_back_records_nothing(webhook, marketer, rep):
    lead = LeadFactory(captured_by=marketer)

    with pytest.raises(RuntimeError), transaction.atomic():
        lead_hand_off(lead=lead, rep=rep, note="Wants a demo.", by=marketer)
        raise RuntimeError("something after the handoff failed")

    assert not WebhookEvent.objects.exists()


def test_a_refused_move_records_nothing(webhook, marketer, rep):
    lead = LeadFactory(captured_by=marketer)

    with pytest.raises(Exception):  # noqa: B017 — any refusal
        lead_accept(lead=lead, by=rep)

    assert not WebhookEvent.objects.exists()


def test_the_cold_sweep_records_cold_and_escalated_in_bulk(webhook, marketer, rep, manager):
    leads = [handed_off_lead(marketer=marketer, rep=rep) for _ in range(3)]
    WebhookEvent.objects.all().delete()

    with at(T0 + timedelta(hours=25)):
        cold_leads_sweep()
    with at(T0 + timedelta(hours=50)):
        cold_leads_sweep()
        cold_leads_sweep()  # nothing new: nothing recorded twice

    cold, escalated = events("lead.cold"), events("lead.escalated")
    assert sorted(e.data["lead"]["id"] for e in cold) == sorted(lead.id for lead in leads)
    assert sorted(e.data["lead"]["id"] for e in escalated) == sorted(lead.id for lead in leads)
    assert {e.data["level"] for e in cold} == {1} and {e.data["level"] for e in escalated} == {2}
    assert cold[0].data["actor"] is None and cold[0].data["episode"]["reason"] == "not_accepted"
    assert cold[0].data["lead"] == the_lead(Lead.objects.get(pk=cold[0].data["lead"]["id"]))


@pytest.mark.parametrize("count", [3, 30])
def test_the_cold_sweeps_events_take_the_same_queries_for_any_number_of_leads(
    count, webhook, marketer, rep, django_assert_num_queries
):
    for _ in range(count):
        handed_off_lead(marketer=marketer, rep=rep)

    # 1. SAVEPOINT  2. the SLA settings row  3. close stale episodes  4-5. open episodes (two INSERTs)
    # 6. level-2 reminders  7. level-1 reminders  8. the reminded episodes with their leads
    # 9. the managers  10. the active webhook endpoints  11. the reminded leads, for their payload
    # 12. their events (one INSERT)  13. their deliveries (one INSERT)  14. unsent emails
    # 15. the notifications (one INSERT)  16. the recipients' chat webhooks (none)  17. RELEASE SAVEPOINT
    # (PostgreSQL adds SET LOCAL jit = off; SQLite may split a bulk INSERT by its variable limit,
    # not at these sizes.)
    expected = 18 if connection.vendor == "postgresql" else 17
    with django_assert_num_queries(expected), at(T0 + timedelta(hours=25)):
        result = cold_leads_sweep()

    assert result.reminders == count
    assert WebhookEvent.objects.filter(type="lead.cold").count() == count
