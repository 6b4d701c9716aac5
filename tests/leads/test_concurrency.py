"""Many requests at once on real PostgreSQL: the database constraints and row locks must hold.

Each thread has its own database connection, so these tests commit for real
(`transaction=True`). SQLite serialises every writer, which would prove nothing: they skip there,
and fail instead when ALIGNMENT_REQUIRE_SERVICES=1 (CI).
"""

import os
import random
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from rest_framework.test import APIClient

from leads.models import Handoff, Lead, LeadDay, LeadEvent, Touch
from leads.rollup import lead_days_rebuild
from leads.services import lead_accept, lead_hand_off, lead_qualify
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.leads.factories import CampaignFactory, LeadFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        if os.environ.get("ALIGNMENT_REQUIRE_SERVICES") == "1":
            pytest.fail("Concurrency tests need PostgreSQL (set DATABASE_URL).")
        pytest.skip("Concurrency tests need PostgreSQL.")


def run_in_threads(count, work):
    """Run `work(i)` in `count` threads released together; return the results in order."""
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def target(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as error:  # surfaced below, with the thread's traceback lost but its message kept
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_twenty_threads_capturing_the_same_five_emails_make_five_leads():
    marketer = MarketerFactory()
    campaign = CampaignFactory(owner=marketer)
    emails = [f"person{i}@prospect.test" for i in range(5)]

    def capture_all(i):
        client = client_for(marketer)
        order = random.Random(i).sample(emails, len(emails))
        # Vary the case and spacing: it is the same person whatever the form said.
        return [
            client.post(
                "/api/leads/", {"campaign": campaign.id, "email": f" {email.upper()} "}, format="json"
            ).status_code
            for email in order
        ]

    statuses = Counter(code for codes in run_in_threads(20, capture_all) for code in codes)

    assert statuses == {201: 5, 200: 95}
    assert sorted(Lead.objects.values_list("email", flat=True)) == emails
    assert sorted(Lead.objects.values_list("touch_count", flat=True)) == [20] * 5
    assert Touch.objects.count() == 100
    # the dashboard's roll-up, one row written by every thread at once, counts each lead once
    assert LeadDay.objects.aggregate(captured=Sum("captured")) == {"captured": 5}


def test_thirty_concurrent_routed_handoffs_share_the_turns_fairly():
    marketer = MarketerFactory()
    campaign = CampaignFactory(owner=marketer)
    reps = [RepFactory() for _ in range(3)]
    rule = RoutingRuleFactory(name="DACH", country="DE", reps=reps)
    leads = [LeadFactory(campaign=campaign, country="DE") for _ in range(30)]
    lead_days_rebuild()  # built by hand: rolled up as `rebuild_dashboard` does

    def hand_off(i):
        response = client_for(marketer).post(f"/api/leads/{leads[i].id}/handoff/", {"note": "Routed."}, format="json")
        return response.status_code, response.json()

    results = run_in_threads(30, hand_off)

    assert [code for code, _ in results] == [200] * 30, [body for code, body in results if code != 200]
    handoffs = Handoff.objects.filter(routing_rule=rule)
    assert sorted(handoffs.values_list("routing_turn", flat=True)) == list(range(1, 31))
    assert Counter(handoffs.values_list("to_rep_id", flat=True)) == {rep.id: 10 for rep in reps}
    rule.refresh_from_db()
    assert rule.turns == 30
    assert Lead.objects.filter(status="handed_off").count() == 30
    # the dashboard's roll-up moved every lead to its rep, once
    rolled_up = LeadDay.objects.filter(handed_off__gt=0).values("rep").annotate(n=Sum("handed_off")).order_by()
    assert {row["rep"]: row["n"] for row in rolled_up} == {rep.id: 10 for rep in reps}
    assert LeadDay.objects.aggregate(captured=Sum("captured")) == {"captured": 30}


def test_concurrent_retries_with_one_idempotency_key_write_once():
    marketer = MarketerFactory()
    campaign = CampaignFactory(owner=marketer)
    body = {"campaign": campaign.id, "email": "retry@prospect.test", "name": "Retry"}

    def post(i):
        response = client_for(marketer).post("/api/leads/", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
        return response.status_code, response.json()

    results = run_in_threads(10, post)

    assert {code for code, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    lead = Lead.objects.get()
    assert lead.touch_count == 1
    assert Touch.objects.count() == 1


def race(lead, attempts):
    """Fire `attempts` [(user, path, body)] at `lead` together; return the statuses, in order."""
    results = run_in_threads(
        len(attempts),
        lambda i: client_for(attempts[i][0]).post(
            f"/api/leads/{lead.id}/{attempts[i][1]}", attempts[i][2], format="json"
        ),
    )
    return [response.status_code for response in results]


def story(lead):
    return list(LeadEvent.objects.filter(lead=lead).order_by("id").values_list("from_status", "to_status", "actor_id"))


def test_a_rep_accepting_twice_at_once_accepts_once():
    # given a lead handed to a rep who answers from two devices at once
    marketer, rep = MarketerFactory(), RepFactory()
    lead = LeadFactory(campaign=CampaignFactory(owner=marketer))
    lead_hand_off(lead=lead, rep=rep, note="Asked for a demo.", by=marketer)

    statuses = race(lead, [(rep, "accept/", {}), (rep, "accept/", {})])

    assert sorted(statuses) == [200, 409]
    lead.refresh_from_db()
    assert lead.status == "accepted" and lead.owner == rep
    assert story(lead)[1:] == [("handed_off", "accepted", rep.id)]
    assert Handoff.objects.get(lead=lead).outcome == "accepted"


def test_a_marketer_recycling_while_the_rep_wins_leaves_one_story():
    marketer, rep = MarketerFactory(), RepFactory()
    lead = LeadFactory(campaign=CampaignFactory(owner=marketer))
    lead_hand_off(lead=lead, rep=rep, note="Asked for a quote.", by=marketer)
    lead_accept(lead=lead, by=rep)
    lead_qualify(lead=lead, by=rep)
    before = len(story(lead))

    statuses = race(lead, [(marketer, "recycle/", {"reason": "Next year."}), (rep, "won/", {"amount": "5000.00"})])

    assert sorted(statuses) == [200, 409]
    lead.refresh_from_db()
    events = story(lead)[before:]
    assert len(events) == 1
    if statuses[1] == 200:  # the rep won
        assert (lead.status, lead.won_amount, events) == ("won", Decimal("5000.00"), [("qualified", "won", rep.id)])
    else:
        assert (lead.status, lead.won_amount, events) == ("nurture", None, [("qualified", "nurture", marketer.id)])


def test_two_managers_reassigning_a_lead_to_the_same_rep_at_once_reassign_it_once():
    marketer, rep, other_rep = MarketerFactory(), RepFactory(), RepFactory()
    managers = [ManagerFactory(), ManagerFactory()]
    lead = LeadFactory(campaign=CampaignFactory(owner=marketer))
    lead_hand_off(lead=lead, rep=rep, note="Asked for a demo.", by=marketer)
    body = {"rep": other_rep.id, "note": "Covers this territory now."}

    statuses = race(lead, [(manager, "handoff/", body) for manager in managers])

    assert sorted(statuses) == [200, 409]
    lead.refresh_from_db()
    assert lead.owner == other_rep
    handoffs = list(Handoff.objects.filter(lead=lead).order_by("id").values_list("to_rep_id", "outcome"))
    assert handoffs == [(rep.id, "reassigned"), (other_rep.id, "open")]
    winner = managers[statuses.index(200)]
    assert story(lead)[1:] == [("handed_off", "handed_off", winner.id)]
