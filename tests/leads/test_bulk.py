"""Bulk actions on leads: each lead through its own service and rule, in its own transaction."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alignment.errors import InvalidInput
from alignment.sla import sla_settings_get
from leads.bulk import BULK_MAX, lead_bulk_hand_off, lead_bulk_reassign, lead_bulk_recycle
from leads.models import Handoff, HandoffOutcome, Lead, LeadScore, LeadStatus
from leads.services import lead_hand_off
from tests.alignment.factories import MarketerFactory, RepFactory
from tests.leads.factories import LeadFactory, RoutingRuleFactory


def test_bulk_hand_off_hands_off_each_lead_and_refuses_the_others_with_why(marketer, rep, campaign):
    # given: two new leads, one already with a rep (a marketer may not reassign it)
    fresh = LeadFactory.create_batch(2, campaign=campaign)
    held = LeadFactory(campaign=campaign)
    lead_hand_off(lead=held, rep=rep, note="Earlier.", by=marketer)
    # when
    results = lead_bulk_hand_off(ids=[fresh[0].pk, held.pk, 999_999, fresh[1].pk], by=marketer, note="Webinar", rep=rep)
    # then
    assert results == [
        {"id": fresh[0].pk, "result": "done", "detail": ""},
        {
            "id": held.pk,
            "result": "refused",
            "detail": "This lead is already with a rep: only a manager can reassign it.",
        },
        {"id": 999_999, "result": "refused", "detail": "not found"},
        {"id": fresh[1].pk, "result": "done", "detail": ""},
    ]
    assert set(Lead.objects.filter(owner=rep).values_list("pk", flat=True)) == {fresh[0].pk, fresh[1].pk, held.pk}
    assert Handoff.objects.filter(lead=held).count() == 1


def test_bulk_hand_off_without_rep_routes_each_lead_by_the_rules(marketer, campaign):
    first, second = RepFactory(), RepFactory()
    RoutingRuleFactory(name="Germany", country="DE", reps=[first, second])
    leads = LeadFactory.create_batch(2, campaign=campaign, country="DE")
    lead_bulk_hand_off(ids=[lead.pk for lead in leads], by=marketer, note="Trade fair.")
    handoffs = Handoff.objects.filter(lead__in=leads).order_by("lead_id")
    assert {handoff.to_rep for handoff in handoffs} == {first, second}
    assert all("Germany" in handoff.routing_reason for handoff in handoffs)


def test_bulk_hand_off_by_the_rules_gives_the_reps_capacity_to_the_highest_scores_first(marketer, campaign):
    # given: one rep with room for two more leads this month, and four leads sent lowest score first
    rep = RepFactory(monthly_capacity=2)
    RoutingRuleFactory(name="Germany", country="DE", reps=[rep])
    low, unscored, best, good = (LeadFactory(campaign=campaign, country="DE") for _ in range(4))
    LeadScore.objects.filter(lead_id=low.pk).update(score=0.2)
    LeadScore.objects.filter(lead_id=best.pk).update(score=0.9)
    LeadScore.objects.filter(lead_id=good.pk).update(score=0.6)
    ids = [low.pk, unscored.pk, best.pk, good.pk]
    # when
    results = lead_bulk_hand_off(ids=ids, by=marketer, note="Trade fair.")
    # then: the rep holds the two best; the others wait in the managers' queue; results in the order sent
    assert [r["id"] for r in results] == ids
    assert all(r["result"] == "done" for r in results)
    assert set(Lead.objects.filter(owner=rep).values_list("pk", flat=True)) == {best.pk, good.pk}
    queued = Handoff.objects.filter(lead__in=[low, unscored], to_rep__isnull=True)
    assert set(queued.values_list("lead_id", flat=True)) == {low.pk, unscored.pk}


def test_bulk_hand_off_to_a_chosen_rep_keeps_the_order_given(marketer, rep, campaign):
    first, second = LeadFactory.create_batch(2, campaign=campaign)
    LeadScore.objects.filter(lead_id=second.pk).update(score=0.9)
    lead_bulk_hand_off(ids=[first.pk, second.pk], by=marketer, note="Webinar", rep=rep)
    order = list(Handoff.objects.filter(lead__in=[first, second]).order_by("id").values_list("lead_id", flat=True))
    assert order == [first.pk, second.pk]


def test_bulk_leads_a_rep_cannot_see_are_not_found(rep, other_rep, marketer, campaign):
    # A rep sees only the leads handed to them: another rep's lead is "not found", never "not allowed".
    theirs = LeadFactory(campaign=campaign)
    lead_hand_off(lead=theirs, rep=other_rep, note="Theirs.", by=marketer)
    mine = LeadFactory(campaign=campaign)
    lead_hand_off(lead=mine, rep=rep, note="Mine.", by=marketer)
    results = lead_bulk_recycle(ids=[theirs.pk, mine.pk], by=rep, reason="Not now.")
    assert results[0] == {"id": theirs.pk, "result": "refused", "detail": "not found"}
    assert results[1] == {"id": mine.pk, "result": "refused", "detail": "Only marketers and managers recycle leads."}


def test_bulk_recycle_and_reassign(marketer, manager, rep, other_rep, campaign):
    held, fresh = LeadFactory.create_batch(2, campaign=campaign)
    lead_hand_off(lead=held, rep=rep, note="Demo.", by=marketer)
    # reassign: managers only, and only leads some rep holds
    assert lead_bulk_reassign(ids=[held.pk], by=marketer, rep=other_rep)[0]["detail"] == "Only managers reassign leads."
    results = lead_bulk_reassign(ids=[held.pk, fresh.pk], by=manager, rep=other_rep)
    assert [result["result"] for result in results] == ["done", "refused"]
    assert results[1]["detail"] == "No rep holds this lead: hand it off instead."
    assert Handoff.objects.get(lead=held, outcome=HandoffOutcome.OPEN).to_rep == other_rep
    assert Handoff.objects.get(lead=held, outcome=HandoffOutcome.REASSIGNED).to_rep == rep
    # recycle
    results = lead_bulk_recycle(ids=[held.pk, fresh.pk], by=marketer, reason="Budget next year.")
    assert [result["result"] for result in results] == ["done", "done"]
    assert set(Lead.objects.filter(pk__in=[held.pk, fresh.pk]).values_list("status", flat=True)) == {LeadStatus.NURTURE}


def test_bulk_bad_input_is_refused_before_any_lead_changes(marketer, manager, campaign):
    lead = LeadFactory(campaign=campaign)
    with pytest.raises(InvalidInput) as error:
        lead_bulk_hand_off(ids=[lead.pk], by=marketer, note="  ")
    assert "note" in error.value.fields
    with pytest.raises(InvalidInput) as error:
        lead_bulk_recycle(ids=[lead.pk], by=marketer, reason="")
    assert "reason" in error.value.fields
    with pytest.raises(InvalidInput) as error:
        lead_bulk_reassign(ids=[lead.pk], by=manager, rep=None)
    assert "rep" in error.value.fields
    with pytest.raises(InvalidInput) as error:
        lead_bulk_hand_off(ids=[lead.pk], by=marketer, note="Story", rep=MarketerFactory())
    assert "rep" in error.value.fields
    with pytest.raises(InvalidInput):
        lead_bulk_hand_off(ids=list(range(1, BULK_MAX + 2)), by=marketer, note="Story")
    with pytest.raises(InvalidInput):
        lead_bulk_hand_off(ids=[], by=marketer, note="Story")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def _hand_off_queries(*, count, by, rep, campaign) -> int:
    ids = [lead.pk for lead in LeadFactory.create_batch(count, campaign=campaign)]
    with CaptureQueriesContext(connection) as queries:
        results = lead_bulk_hand_off(ids=ids, by=by, note="Webinar attendees.", rep=rep)
    assert {result["result"] for result in results} == {"done"}
    return len(queries)


def test_bulk_hand_off_queries_grow_by_a_constant_per_lead(marketer, rep, campaign):
    # 1. the visible leads, in one query; then PER_LEAD for each lead:
    #    1-2. the lead's own savepoint and the service's, 3. lock the lead, 4. its open handoff,
    #    5. the SLA settings, 6. insert the handoff, 7. update the lead, 8. the roll-up upsert,
    #    9. close a cold episode, 10. the timeline event, 11. the webhook subscribers,
    #    12. the rep's chat webhook (Slack or Teams, the rep's own or the team's),
    #    13. the rep's live event (their open inbox shows the lead), 14-15. release the two savepoints.
    sla_settings_get()  # the SLA settings' row exists, as it does after the first handoff
    ten = _hand_off_queries(count=10, by=marketer, rep=rep, campaign=campaign)
    fifty = _hand_off_queries(count=50, by=marketer, rep=rep, campaign=campaign)
    assert (ten, fifty) == (1 + 10 * PER_LEAD, 1 + 50 * PER_LEAD)


PER_LEAD = 15  # see the list above
