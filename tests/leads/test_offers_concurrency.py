"""Offers under concurrency, on real PostgreSQL: parallel sweeps move each lapsed offer exactly once,
and a rep's accept racing the lapse either wins or is refused — never both reps holding the lead."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alignment.errors import TransitionNotAllowed
from leads.models import HandoffOffer, Lead, LeadStatus, OfferOutcome
from leads.offers import offers_sweep
from leads.services import lead_accept, lead_hand_off
from tests.alignment.factories import MarketerFactory, RepFactory
from tests.leads.factories import LeadFactory, RoutingRuleFactory
from tests.leads.test_concurrency import _postgresql_only, run_in_threads  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lapsed(settings):
    """Twenty leads offered by rules to four reps, every offer past its time."""
    settings.ALIGNMENT_OFFER_MINUTES = 5
    marketer = MarketerFactory()
    reps = [RepFactory(username=f"racer{i}") for i in range(4)]
    RoutingRuleFactory(name="Everyone", reps=reps)
    handoffs = [lead_hand_off(lead=LeadFactory(), note="Demo request.", by=marketer) for _ in range(20)]
    HandoffOffer.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    return handoffs


def test_parallel_sweeps_move_each_lapsed_offer_exactly_once(lapsed):
    # when: six sweeps at once
    results = run_in_threads(6, lambda i: offers_sweep())
    # then
    assert sum(result.lapsed for result in results) == 20
    assert HandoffOffer.objects.filter(outcome=OfferOutcome.LAPSED).count() == 20
    assert HandoffOffer.objects.filter(outcome=OfferOutcome.OPEN).count() == 20
    for handoff in lapsed:
        offers = list(HandoffOffer.objects.filter(handoff=handoff).order_by("position"))
        assert [o.outcome for o in offers] == ["lapsed", "open"]
        assert offers[0].rep_id != offers[1].rep_id
        lead = Lead.objects.get(pk=handoff.lead_id)
        assert lead.owner_id == offers[1].rep_id


def test_an_accept_racing_the_lapse_either_wins_or_gets_a_conflict_never_both(lapsed):
    originals = [(handoff.lead_id, handoff.to_rep) for handoff in lapsed]

    def work(i):
        if i == 0:
            return offers_sweep()
        outcomes = []
        for lead_id, rep in originals[(i - 1) :: 4]:
            try:
                lead_accept(lead=Lead.objects.get(pk=lead_id), by=rep)
                outcomes.append((lead_id, "won"))
            except TransitionNotAllowed as error:
                outcomes.append((lead_id, str(error)))
        return outcomes

    # when: one sweep and four reps accepting their (past-due) offers at the same moment
    results = run_in_threads(5, work)
    # then: each lead is the original rep's (accepted, nothing moved) or the next rep's (lapsed, 409)
    answers = dict(pair for outcomes in results[1:] for pair in outcomes)
    assert len(answers) == 20
    for lead_id, rep in originals:
        lead = Lead.objects.get(pk=lead_id)
        offers = list(HandoffOffer.objects.filter(lead_id=lead_id).order_by("position"))
        if answers[lead_id] == "won":
            assert lead.status == LeadStatus.ACCEPTED and lead.owner_id == rep.id
            assert [o.outcome for o in offers] == ["accepted"]
        else:
            assert "lapsed" in answers[lead_id]
            assert lead.status == LeadStatus.HANDED_OFF and lead.owner_id != rep.id
            assert [o.outcome for o in offers] == ["lapsed", "open"]
    assert sum(result.lapsed for result in results[:1]) == sum(1 for a in answers.values() if a != "won")
