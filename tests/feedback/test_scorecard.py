"""The campaign scorecard reads its funnel from the dashboard's roll-up and its median exactly."""

from datetime import timedelta
from decimal import Decimal

import pytest

from feedback.merge import lead_merge_with_feedback
from feedback.models import Verdict
from feedback.scorecard import campaign_scorecard, scorecard_period
from feedback.services import lead_win_with_feedback, verdict_give
from leads.rollup import lead_days_rebuild
from leads.services import lead_qualify
from tests.feedback.factories import accepted_lead
from tests.leads.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def test_scorecard_median_time_to_verdict_is_the_median_on_every_database(marketer, rep):
    # given three first verdicts given 1, 2 and 9 hours after the handoff
    campaign = CampaignFactory(owner=marketer)
    for hours in (1, 2, 9):
        lead = accepted_lead(marketer=marketer, rep=rep, campaign=campaign)
        verdict = verdict_give(lead=lead, by=rep, verdict="good")
        Verdict.objects.filter(pk=verdict.pk).update(created_at=lead.handed_off_at + timedelta(hours=hours))

    # when the scorecard is read
    (row,) = campaign_scorecard(period=scorecard_period("30d"), campaign=campaign.pk)

    # then the median is 2 hours (the mean would be 4)
    assert row.median_time_to_verdict == timedelta(hours=2)


def test_scorecard_funnel_follows_the_services_through_the_roll_up(marketer, rep):
    # given two leads handed off and accepted, one of them won, through the services
    campaign = CampaignFactory(owner=marketer)
    won = accepted_lead(marketer=marketer, rep=rep, campaign=campaign)
    accepted_lead(marketer=marketer, rep=rep, campaign=campaign)
    lead_qualify(lead=won, by=rep)
    lead_win_with_feedback(lead=won, by=rep, amount="1200")

    # when the scorecard is read
    (row,) = campaign_scorecard(period=scorecard_period("30d"), campaign=campaign.pk)

    # then the cohort's steps come from the roll-up the services keep
    assert (row.handed_off, row.accepted, row.won, row.won_revenue) == (2, 2, 1, Decimal("1200"))


def test_scorecard_counts_current_verdicts_as_they_change_and_not_a_merged_away_lead(marketer, rep, manager):
    # given three leads judged through the service: one good, one bad and then revised to good
    campaign = CampaignFactory(owner=marketer)
    good, revised, merged = (accepted_lead(marketer=marketer, rep=rep, campaign=campaign) for _ in range(3))
    lead_days_rebuild()  # the factory stores leads without capturing them: roll them up
    verdict_give(lead=good, by=rep, verdict="good")
    verdict_give(lead=revised, by=rep, verdict="bad", reason="no_budget")
    verdict_give(lead=revised, by=rep, verdict="good")
    # and a third judged bad, then merged into the first (the same person captured twice)
    verdict_give(lead=merged, by=rep, verdict="bad", reason="no_budget")
    lead_merge_with_feedback(survivor=good, other=merged, by=manager)

    # when the scorecard is read
    (row,) = campaign_scorecard(period=scorecard_period("30d"), campaign=campaign.pk)

    # then it counts each lead's current verdict once, and the merged-away lead as it counts its
    # capture: not at all
    assert (row.captured, row.good, row.bad) == (2, 2, 0)
