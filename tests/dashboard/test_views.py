"""The role homes: the rep's inbox, the marketer's leads, the managers' queue."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.services import lead_reject_with_feedback
from leads.models import Handoff, LeadStatus
from leads.services import lead_accept, lead_hand_off
from tests.alignment.factories import RepFactory
from tests.leads.factories import LeadFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


def hand_off(lead, *, rep, by, note="Met at the fair; wants a demo."):
    lead_hand_off(lead=lead, rep=rep, note=note, by=by)
    lead.refresh_from_db()
    return lead


def test_home_sends_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_rep_home_is_the_inbox_with_time_left_and_overdue_flagged(client, marketer, rep, campaign):
    hand_off(LeadFactory(campaign=campaign, name="Fresh Fiona"), rep=rep, by=marketer)
    late = hand_off(LeadFactory(campaign=campaign, name="Late Larry"), rep=rep, by=marketer)
    Handoff.objects.filter(lead=late).update(sla_due_at=timezone.now() - timedelta(hours=3))
    working = hand_off(LeadFactory(campaign=campaign, name="Working Wanda"), rep=rep, by=marketer)
    lead_accept(lead=working, by=rep)
    client.force_login(rep)

    response = client.get(reverse("home"))

    page = response.content.decode()
    awaiting = response.context["awaiting"]
    assert [item["lead"].name for item in awaiting] == ["Late Larry", "Fresh Fiona"]  # soonest deadline first
    assert [item["overdue"] for item in awaiting] == [True, False]
    assert "Overdue by 3" in page
    assert "left to answer" in page
    assert [lead.name for lead in response.context["working"]] == ["Working Wanda"]


def test_rep_inbox_empty_state_says_what_happens_next(client, rep):
    client.force_login(rep)

    response = client.get(reverse("home"))

    assert "Nothing is waiting for you" in response.content.decode()


@pytest.mark.parametrize("count", [5, 50])
def test_rep_inbox_query_count_does_not_grow_with_the_leads(
    client, django_assert_num_queries, marketer, rep, campaign, count
):
    for lead in LeadFactory.create_batch(count, campaign=campaign):
        hand_off(lead, rep=rep, by=marketer)
    for lead in LeadFactory.create_batch(count, campaign=campaign):
        hand_off(lead, rep=rep, by=marketer)
        lead_accept(lead=lead, by=rep)
    client.force_login(rep)

    # 1. the session
    # 2. the user
    # 3. the active reason codes for every reject form
    # 4. open handoffs to the rep with lead, campaign and handing-off marketer joined
    # 5. the rep's accepted, working and qualified leads with their campaign
    # 6. unread notifications for the bell
    # 7. feedback requests waiting on the rep (the feedback panel)
    with django_assert_num_queries(7):
        response = client.get(reverse("home"))

    assert len(response.context["awaiting"]) == count
    assert len(response.context["working"]) == count


def test_marketer_home_lists_their_leads_and_what_sales_sent_back(client, marketer, rep, campaign):
    from feedback.models import ReasonCode

    LeadFactory(campaign=campaign, name="Recent Rita", captured_by=marketer)
    returned = hand_off(LeadFactory(campaign=campaign, name="Returned Rob", captured_by=marketer), rep=rep, by=marketer)
    lead_reject_with_feedback(lead=returned, by=rep, reason=ReasonCode.objects.first())
    client.force_login(marketer)

    response = client.get(reverse("home"))

    assert [lead.name for lead in response.context["returned"]] == ["Returned Rob"]
    assert {lead.name for lead in response.context["recent"]} == {"Recent Rita", "Returned Rob"}


def test_manager_home_is_the_queue_and_a_rep_can_be_chosen_there(client, marketer, manager, rep, campaign):
    out_of_office = RepFactory(available=False)
    RoutingRuleFactory(name="Everyone", reps=[out_of_office])
    lead = LeadFactory(campaign=campaign, name="Queued Quinn")
    lead_hand_off(lead=lead, rep=None, note="Big account", by=marketer)
    client.force_login(manager)

    page = client.get(reverse("home"))
    assert [item["lead"].name for item in page.context["queue"]] == ["Queued Quinn"]
    assert "out of office" in page.content.decode()

    response = client.post(
        reverse("leads:hand-off", args=[lead.pk]), {"rep": rep.pk, "note": "Big account", "next": reverse("home")}
    )

    assert response["Location"] == reverse("home")
    lead.refresh_from_db()
    assert lead.owner == rep and lead.status == LeadStatus.HANDED_OFF
    assert client.get(reverse("home")).context["queue"] == []
