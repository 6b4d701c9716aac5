"""The role homes: the rep's inbox, the marketer's leads, the managers' queue."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dashboard.views import HOME_PAGE_SIZE, rep_inbox_context
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
    response = client.get(reverse("dashboard:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_rep_home_is_the_inbox_with_time_left_and_overdue_flagged(client, marketer, rep, campaign):
    hand_off(LeadFactory(campaign=campaign, name="Fresh Fiona"), rep=rep, by=marketer)
    late = hand_off(LeadFactory(campaign=campaign, name="Late Larry"), rep=rep, by=marketer)
    Handoff.objects.filter(lead=late).update(sla_due_at=timezone.now() - timedelta(hours=3))
    working = hand_off(LeadFactory(campaign=campaign, name="Working Wanda"), rep=rep, by=marketer)
    lead_accept(lead=working, by=rep)
    client.force_login(rep)

    response = client.get(reverse("dashboard:home"))

    page = response.content.decode()
    awaiting = response.context["awaiting"]
    # the one that can still be answered in time first, then the overdue one
    assert [item["lead"].name for item in awaiting] == ["Fresh Fiona", "Late Larry"]
    assert [item["overdue"] for item in awaiting] == [False, True]
    assert "Overdue by 3" in page
    assert "left to answer" in page
    assert [lead.name for lead in response.context["working"]] == ["Working Wanda"]


def test_rep_inbox_empty_state_says_what_happens_next(client, rep):
    client.force_login(rep)

    response = client.get(reverse("dashboard:home"))

    assert "Nothing is waiting for you" in response.content.decode()


def _inbox_of(count, *, rep, marketer, campaign):
    """`count` leads waiting for the rep and `count` more the rep accepted."""
    for lead in LeadFactory.create_batch(count, campaign=campaign):
        hand_off(lead, rep=rep, by=marketer)
    for lead in LeadFactory.create_batch(count, campaign=campaign):
        hand_off(lead, rep=rep, by=marketer)
        lead_accept(lead=lead, by=rep)


def test_rep_inbox_query_count_on_a_short_inbox(client, django_assert_num_queries, marketer, rep, campaign):
    _inbox_of(5, rep=rep, marketer=marketer, campaign=campaign)
    client.force_login(rep)

    # 1. the session
    # 2. the user
    # 3. the first page of open handoffs to the rep with lead, campaign and handing-off marketer joined
    # 4. the active reason codes for every reject form
    # 5. the first page of the rep's accepted, working and qualified leads with their campaign
    # 6. unread notifications for the bell
    # 7. feedback requests waiting on the rep (the feedback panel)
    # 8. the rep's open campaign requests, 9. the rep's open action items
    with django_assert_num_queries(9):
        response = client.get(reverse("dashboard:home"))

    assert len(response.context["awaiting"]) == 5
    assert len(response.context["working"]) == 5
    assert "See all" not in response.content.decode()
    assert "more waiting for you" not in response.content.decode()


def test_rep_inbox_shows_one_page_of_each_list_with_the_totals(
    client, django_assert_num_queries, marketer, rep, campaign
):
    # The rule: the inbox shows the first page of each list and counts the rest, so a rep holding
    # thousands of leads still gets a small page.
    _inbox_of(HOME_PAGE_SIZE + 3, rep=rep, marketer=marketer, campaign=campaign)
    client.force_login(rep)

    # 1. the session
    # 2. the user
    # 3. the first page (plus one, to know there is more) of open handoffs to the rep, with lead,
    #    campaign and handing-off marketer joined
    # 4. the count of open handoffs to the rep
    # 5. the active reason codes for every reject form
    # 6. the first page (plus one) of the rep's accepted, working and qualified leads
    # 7. the count of those leads
    # 8. unread notifications for the bell
    # 9. feedback requests waiting on the rep (the feedback panel)
    # 10. the rep's open campaign requests, 11. the rep's open action items
    with django_assert_num_queries(11):
        response = client.get(reverse("dashboard:home"))

    page = response.content.decode()
    assert len(response.context["awaiting"]) == HOME_PAGE_SIZE
    assert len(response.context["working"]) == HOME_PAGE_SIZE
    assert f'Waiting for you <small class="muted">({HOME_PAGE_SIZE + 3})</small>' in page
    assert f'Your working leads <small class="muted">({HOME_PAGE_SIZE + 3})</small>' in page
    assert f"Showing {HOME_PAGE_SIZE} of {HOME_PAGE_SIZE + 3}" in page
    assert "3 more waiting for you in your leads" in page
    see_all = client.get(response.context["awaiting_url"])
    assert len(see_all.context["leads"]) == HOME_PAGE_SIZE + 3
    assert {lead.status for lead in see_all.context["leads"]} == {LeadStatus.HANDED_OFF}
    accepted = dict(response.context["working_urls"])["Accepted"]
    assert len(client.get(accepted).context["leads"]) == HOME_PAGE_SIZE + 3


def test_rep_see_all_lists_only_the_leads_the_rep_holds_now(client, marketer, manager, rep, other_rep, campaign):
    # given a lead handed to the rep and then reassigned to another rep
    mine = hand_off(LeadFactory(campaign=campaign, name="Mine Mia"), rep=rep, by=marketer)
    moved = hand_off(LeadFactory(campaign=campaign, name="Moved Max"), rep=rep, by=marketer)
    lead_hand_off(lead=moved, rep=other_rep, note="Reassigned: territory", by=manager)
    client.force_login(rep)

    response = client.get(rep_inbox_context(user=rep, now=timezone.now())["awaiting_url"])

    assert [lead.name for lead in response.context["leads"]] == [mine.name]


def test_marketer_home_lists_their_leads_and_what_sales_sent_back(client, marketer, rep, campaign):
    from feedback.models import ReasonCode

    LeadFactory(campaign=campaign, name="Recent Rita", captured_by=marketer)
    returned = hand_off(LeadFactory(campaign=campaign, name="Returned Rob", captured_by=marketer), rep=rep, by=marketer)
    lead_reject_with_feedback(lead=returned, by=rep, reason=ReasonCode.objects.first())
    client.force_login(marketer)

    response = client.get(reverse("dashboard:home"))

    assert [lead.name for lead in response.context["returned"]] == ["Returned Rob"]
    assert {lead.name for lead in response.context["recent"]} == {"Recent Rita", "Returned Rob"}


def test_manager_home_is_the_queue_and_a_rep_can_be_chosen_there(client, marketer, manager, rep, campaign):
    out_of_office = RepFactory(available=False)
    RoutingRuleFactory(name="Everyone", reps=[out_of_office])
    lead = LeadFactory(campaign=campaign, name="Queued Quinn")
    lead_hand_off(lead=lead, rep=None, note="Big account", by=marketer)
    client.force_login(manager)

    page = client.get(reverse("dashboard:home"))
    assert [item["lead"].name for item in page.context["queue"]] == ["Queued Quinn"]
    assert "out of office" in page.content.decode()

    response = client.post(
        reverse("leads:hand-off", args=[lead.pk]),
        {"rep": rep.pk, "note": "Big account", "next": reverse("dashboard:home")},
    )

    assert response["Location"] == reverse("dashboard:home") + "#top"
    lead.refresh_from_db()
    assert lead.owner == rep and lead.status == LeadStatus.HANDED_OFF
    assert client.get(reverse("dashboard:home")).context["queue"] == []


def test_marketer_home_query_count_and_the_count_of_what_came_back(
    client, django_assert_num_queries, marketer, rep, campaign
):
    from feedback.models import ReasonCode

    reason = ReasonCode.objects.first()
    for lead in LeadFactory.create_batch(3, campaign=campaign, captured_by=marketer):
        lead_reject_with_feedback(lead=hand_off(lead, rep=rep, by=marketer), by=rep, reason=reason)
    client.force_login(marketer)

    # 1. the session
    # 2. the user
    # 3. the campaign requests waiting for triage
    # 4. the marketer's open action items
    # 5. the marketer's ten newest leads with owner, campaign and industry joined
    # 6. the first page (plus one) of the marketer's rejected leads
    # 7. unread notifications for the bell
    with django_assert_num_queries(7):
        response = client.get(reverse("dashboard:home"))

    assert response.context["returned_count"] == 3
    assert "All rejected leads" not in response.content.decode()

    for lead in LeadFactory.create_batch(20, campaign=campaign, captured_by=marketer):
        lead_reject_with_feedback(lead=hand_off(lead, rep=rep, by=marketer), by=rep, reason=reason)

    # 1.-6. as above
    # 7. the count of the marketer's rejected leads, the first page being full
    # 8. unread notifications for the bell
    with django_assert_num_queries(8):
        response = client.get(reverse("dashboard:home"))

    page = response.content.decode()
    assert len(response.context["returned"]) == 20
    assert 'Sent back by sales <small class="muted">(23)</small>' in page
    assert "All rejected leads" in page


def test_managers_queue_shows_one_page_with_the_total(client, django_assert_num_queries, marketer, manager, campaign):
    RoutingRuleFactory(name="Everyone", reps=[RepFactory(available=False)])
    for lead in LeadFactory.create_batch(2, campaign=campaign):
        lead_hand_off(lead=lead, rep=None, note="Big account", by=marketer)
    client.force_login(manager)

    # 1. the session
    # 2. the user
    # 3. the first page (plus one) of the queued handoffs with lead, campaign and marketer joined
    # 4. the reps for the assign forms
    # 5. unread notifications for the bell
    with django_assert_num_queries(5):
        response = client.get(reverse("dashboard:home"))
    assert len(response.context["queue"]) == 2

    for lead in LeadFactory.create_batch(HOME_PAGE_SIZE, campaign=campaign):
        lead_hand_off(lead=lead, rep=None, note="Big account", by=marketer)

    # 1.-3. as above
    # 4. the count of the queued handoffs, the first page being full
    # 5. the reps for the assign forms
    # 6. unread notifications for the bell
    with django_assert_num_queries(6):
        response = client.get(reverse("dashboard:home"))

    page = response.content.decode()
    assert len(response.context["queue"]) == HOME_PAGE_SIZE
    assert f"See all {HOME_PAGE_SIZE + 2} in the queue" in page
    see_all = client.get(response.context["queue_url"])
    assert len(see_all.context["leads"]) == HOME_PAGE_SIZE + 2
    assert {(lead.status, lead.owner_id) for lead in see_all.context["leads"]} == {(LeadStatus.HANDED_OFF, None)}
