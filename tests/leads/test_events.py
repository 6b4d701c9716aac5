"""Lead webhook events: each lifecycle move, capture and the cold sweep records its event once, in
the change's own transaction, with the lead as the lead API shows it."""

from datetime import timedelta

import pytest
from django.db import connection, transaction

from alignment.models import WebhookEvent
from leads.apis.common import LeadOutputSerializer
from leads.capture import lead_capture
from leads.cold import cold_leads_sweep
from leads.models import Lead
from leads.services import lead_accept, lead_hand_off, lead_lose, lead_qualify, lead_recycle, lead_reject, lead_win
from tests.leads.factories import LeadFactory
from tests.leads.test_cold import T0, at, handed_off_lead


def events(event_type):
    return list(WebhookEvent.objects.filter(type=event_type).order_by("created_at"))


def the_lead(lead):
    lead = Lead.objects.select_related("owner", "campaign", "industry").get(pk=lead.pk)
    return dict(LeadOutputSerializer(lead).data)


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
    # 15. the notifications (one INSERT)  16. their live events for the bell (one INSERT)
    # 17. the recipients' chat webhooks (none)  18. RELEASE SAVEPOINT
    # (PostgreSQL adds SET LOCAL jit = off; SQLite may split a bulk INSERT by its variable limit,
    # not at these sizes.)
    expected = 19 if connection.vendor == "postgresql" else 18
    with django_assert_num_queries(expected), at(T0 + timedelta(hours=25)):
        result = cold_leads_sweep()

    assert result.reminders == count
    assert WebhookEvent.objects.filter(type="lead.cold").count() == count
