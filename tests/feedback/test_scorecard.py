"""The campaign scorecard reads its funnel from the dashboard's roll-up, its median from the leads'
waits for their first verdict and its bad reasons from their own roll-up: each gives what the
verdicts and feedback items themselves say."""

import importlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.apps import apps
from django.contrib.admin.sites import site
from django.db import connection
from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef

from alignment.aggregates import percentile_by_group
from feedback.merge import lead_merge_with_feedback
from feedback.models import BAD_REASON_KINDS, FeedbackItem, ReasonDay, Verdict
from feedback.rollup import reason_days_rebuild
from feedback.scorecard import _median_waits_sql, campaign_scorecard, scorecard_period
from feedback.services import lead_lose_with_feedback, lead_reject_with_feedback, lead_win_with_feedback, verdict_give
from leads.models import Lead, ReasonCode
from leads.rollup import lead_days_rebuild
from leads.services import lead_accept, lead_hand_off, lead_qualify, lead_recycle
from tests.alignment.factories import RepFactory
from tests.feedback.factories import accepted_lead, handed_off_lead, verdict_after
from tests.leads.factories import CampaignFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")


def at(month, day, hour=10):
    return time_machine.travel(datetime(2026, month, day, hour, tzinfo=UTC), tick=False)


def reference(period):
    """{campaign id: (median time to first verdict, top 3 bad reasons)} straight from the verdicts
    and the feedback items, as the scorecard read them before it had its own figures: each lead's
    earliest verdict less its handoff time, and the items with a reason against their lead."""
    cohort = {}
    if period.start:
        cohort["lead__captured_at__gte"] = period.start
    verdicts = Verdict.objects.filter(**cohort)
    earlier = Verdict.objects.filter(lead_id=OuterRef("lead_id"), created_at__lt=OuterRef("created_at"))
    first = verdicts.filter(~Exists(earlier), lead__handed_off_at__isnull=False)
    wait = ExpressionWrapper(F("created_at") - F("lead__handed_off_at"), output_field=DurationField())
    medians = percentile_by_group(first, wait, 0.5, group="lead__campaign_id")
    reasons = {}
    rows = (
        FeedbackItem.objects.filter(kind__in=BAD_REASON_KINDS, reason__isnull=False, **cohort)
        .values("lead__campaign_id", "reason__label")
        .annotate(n=Count("*"))
        .order_by("lead__campaign_id", "-n", "reason__label")
    )
    for row in rows:
        top = reasons.setdefault(row["lead__campaign_id"], [])
        if len(top) < 3:
            top.append((row["reason__label"], row["n"]))
    return {
        campaign_id: (medians.get(campaign_id), reasons.get(campaign_id, []))
        for campaign_id in medians.keys() | reasons.keys()
    }


def scorecard(period):
    return {
        row.campaign.pk: (row.median_time_to_verdict, row.top_bad_reasons)
        for row in campaign_scorecard(period=period)
        if row.median_time_to_verdict is not None or row.top_bad_reasons
    }


def reason_days():
    """The bad-reason roll-up's non-zero counts by key."""
    return {(row.day, row.campaign_id, row.reason_id): row.count for row in ReasonDay.objects.all() if row.count}


def test_scorecard_median_time_to_verdict_is_the_median_on_every_database(marketer, rep):
    # given three first verdicts given 1, 2 and 9 hours after the handoff
    campaign = CampaignFactory(owner=marketer)
    for hours in (1, 2, 9):
        lead = accepted_lead(marketer=marketer, rep=rep, campaign=campaign)
        verdict_after(lead=lead, rep=rep, hours=hours)

    # when the scorecard is read
    (row,) = campaign_scorecard(period=scorecard_period("30d"), campaign=campaign.pk)

    # then the median is 2 hours (the mean would be 4)
    assert row.median_time_to_verdict == timedelta(hours=2)


def test_scorecard_median_of_an_even_count_is_halfway_between_the_middle_two(marketer, rep):
    campaign = CampaignFactory(owner=marketer)
    for hours in (1, 2, 4, 30):
        verdict_after(lead=accepted_lead(marketer=marketer, rep=rep, campaign=campaign), rep=rep, hours=hours)

    (row,) = campaign_scorecard(period=scorecard_period("all"), campaign=campaign.pk)

    assert row.median_time_to_verdict == timedelta(hours=3)


def test_the_first_verdict_sets_the_wait_and_a_revision_leaves_it(marketer, rep):
    # given a lead judged 5 hours after its handoff, then judged again a day later
    lead = accepted_lead(marketer=marketer, rep=rep)
    verdict_after(lead=lead, rep=rep, hours=5, verdict="bad", reason="no_budget")
    verdict_after(lead=lead, rep=rep, hours=29, verdict="good")

    # then the lead keeps the wait for its first verdict
    lead.refresh_from_db()
    assert lead.verdict_wait == timedelta(hours=5)
    # and a lead never judged, or judged before any handoff could be, has none
    assert accepted_lead(marketer=marketer, rep=rep).verdict_wait is None


def test_scorecard_equals_the_verdicts_and_items_through_every_change(marketer, rep, manager):
    fair, web = CampaignFactory(owner=marketer, name="Fair"), CampaignFactory(owner=marketer, name="Web")
    with at(9, 1):
        old = [accepted_lead(marketer=marketer, rep=rep, campaign=fair) for _ in range(2)]
    with at(10, 20):
        leads = [accepted_lead(marketer=marketer, rep=rep, campaign=fair) for _ in range(5)]
        web_leads = [accepted_lead(marketer=marketer, rep=rep, campaign=web) for _ in range(3)]
        rejected = handed_off_lead(marketer=marketer, rep=rep, campaign=web)
        survivor = accepted_lead(marketer=marketer, rep=rep, campaign=web)
        deleted = accepted_lead(marketer=marketer, rep=rep, campaign=fair)
    with at(10, 21):
        lead_reject_with_feedback(lead=rejected, by=rep, reason="not_icp")
    # given verdicts at different waits, bad ones with reasons, a loss, and an older cohort
    verdict_after(lead=old[0], rep=rep, hours=50, verdict="bad", reason="timing")
    verdict_after(lead=old[1], rep=rep, hours=70, verdict="bad", reason="timing")
    reasons = ("no_budget", "no_budget", "timing", None, None)
    for lead, hours, reason in zip(leads, (3, 7, 12, 40, 41), reasons, strict=True):
        verdict_after(lead=lead, rep=rep, hours=hours, verdict="bad" if reason else "good", reason=reason)
    for lead, hours in zip(web_leads, (1, 2, 6), strict=True):
        verdict_after(lead=lead, rep=rep, hours=hours, verdict="bad", reason="no_need")
    verdict_after(lead=deleted, rep=rep, hours=1, verdict="bad", reason="spam")
    # a bad verdict revised with another reason (the open item now stands for that one), and one
    # revised to good (its item still stands for its reason)
    verdict_after(lead=leads[0], rep=rep, hours=60, verdict="bad", reason="not_icp")
    verdict_after(lead=web_leads[0], rep=rep, hours=80, verdict="good")
    with at(11, 2):
        lead_lose_with_feedback(lead=leads[3], by=rep, reason="competitor")
        lead_qualify(lead=leads[4], by=rep)
        lead_win_with_feedback(lead=leads[4], by=rep, amount="900")

    def same(when):
        with at(*when):
            for key in ("30d", "90d", "all"):
                period = scorecard_period(key)
                assert scorecard(period) == reference(period), key

    same((11, 5))
    with at(11, 5):
        everything, recent = scorecard(scorecard_period("all")), scorecard(scorecard_period("30d"))
    # (waits of 1, 3, 7, 12, 40, 41, 50 and 70 hours: halfway between 12 and 40)
    assert everything[fair.pk] == (timedelta(hours=26), [("Bad timing", 3), ("Competitor", 1), ("No budget", 1)])
    assert everything[web.pk][1] == [("No need", 3), ("Not our ideal customer", 1)]
    # the older cohort's two "bad timing" verdicts are not the last 30 days'
    assert recent[fair.pk][1] == [("Bad timing", 1), ("Competitor", 1), ("No budget", 1)]

    # when a lead with a bad verdict, a rejection and its own wait is merged into one never judged
    with at(11, 6):
        lead_merge_with_feedback(survivor=survivor, other=web_leads[1], by=manager)
    # and a judged lead is deleted in the admin
    LeadAdmin = type(site._registry[Lead])
    LeadAdmin(Lead, site).delete_queryset(None, Lead.objects.filter(pk=deleted.pk))

    # then the scorecard still says what the verdicts and items say
    same((11, 7))
    assert not Lead.objects.filter(pk=deleted.pk).exists()
    # and the roll-up kept by the services is the one rebuilt from the items
    kept = reason_days()
    reason_days_rebuild()
    assert reason_days() == kept


def test_a_merge_moves_bad_reasons_to_the_survivors_cohort(marketer, rep, manager):
    # given an older lead and a newer one of another campaign, the newer judged bad
    fair, web = CampaignFactory(owner=marketer), CampaignFactory(owner=marketer)
    with at(6, 1):
        survivor = accepted_lead(marketer=marketer, rep=rep, campaign=fair)
    with at(10, 1):
        other = accepted_lead(marketer=marketer, rep=rep, campaign=web)
        verdict_give(lead=other, by=rep, verdict="bad", reason="no_budget")

    # when the newer is merged into the older
    with at(10, 2):
        lead_merge_with_feedback(survivor=survivor, other=other, by=manager)

    # then its bad reason counts in the survivor's campaign and capture day, as a rebuild says
    no_budget = ReasonCode.objects.get(code="no_budget")
    assert reason_days() == {(datetime(2026, 6, 1).date(), fair.pk, no_budget.pk): 1}
    kept = reason_days()
    reason_days_rebuild()
    assert reason_days() == kept


def test_a_merge_gives_a_survivor_without_a_wait_the_others_and_keeps_a_survivors_own(marketer, rep, manager):
    campaign = CampaignFactory(owner=marketer)
    with at(10, 1):
        unjudged, judged, waited = (accepted_lead(marketer=marketer, rep=rep, campaign=campaign) for _ in range(3))
    with at(10, 3):
        kept = accepted_lead(marketer=marketer, rep=rep, campaign=campaign)
    verdict_after(lead=judged, rep=rep, hours=4)
    verdict_after(lead=waited, rep=rep, hours=9)
    verdict_after(lead=kept, rep=rep, hours=2)

    # when a judged lead is merged into one never judged, and another into one judged itself
    with at(10, 10):
        lead_merge_with_feedback(survivor=unjudged, other=judged, by=manager)
        lead_merge_with_feedback(survivor=kept, other=waited, by=manager)

    # then the first survivor takes the other's wait, the second keeps its own, and neither merged
    # lead has one left
    waits = dict(Lead.objects.values_list("pk", "verdict_wait"))
    assert (waits[unjudged.pk], waits[kept.pk]) == (timedelta(hours=4), timedelta(hours=2))
    assert (waits[judged.pk], waits[waited.pk]) == (None, None)
    # Reading the verdicts afresh would measure the survivor's first verdict (the merged lead's,
    # given on 1 October) from the survivor's own handoff (3 October) for `kept`: a wait of −39
    # hours no rep ever had. The stored wait is the one each verdict answered.
    (row,) = campaign_scorecard(period=scorecard_period("all"), campaign=campaign.pk)
    assert row.median_time_to_verdict == timedelta(hours=3)


def test_a_lead_recycled_and_handed_off_again_keeps_the_wait_of_its_first_verdict(marketer, rep):
    # given a lead judged 6 hours after its handoff, recycled and handed off to another rep later
    other_rep = RepFactory()
    lead = accepted_lead(marketer=marketer, rep=rep)
    verdict_after(lead=lead, rep=rep, hours=6, verdict="bad", reason="timing")
    with time_machine.travel(lead.handed_off_at + timedelta(days=20), tick=False):
        lead_recycle(lead=lead, by=marketer, reason="Next quarter.")
        lead_hand_off(lead=lead, rep=other_rep, note="Budget is back.", by=marketer)
        lead_accept(lead=lead, by=other_rep)
        verdict_give(lead=lead, by=other_rep, verdict="good")

    # then the wait is still the one the first verdict answered: 6 hours after the first handoff
    # (the handoff date the lead keeps, as the reference below reads it too)
    (row,) = campaign_scorecard(period=scorecard_period("all"), campaign=lead.campaign_id)
    assert row.median_time_to_verdict == timedelta(hours=6)
    assert scorecard(scorecard_period("all")) == reference(scorecard_period("all"))


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


def test_the_migration_fills_waits_and_bad_reasons_from_the_verdicts_and_items(marketer, rep):
    # given judged, rejected and unjudged leads whose waits and roll-up were never written
    campaign = CampaignFactory(owner=marketer)
    judged = accepted_lead(marketer=marketer, rep=rep, campaign=campaign)
    verdict_after(lead=judged, rep=rep, hours=3, verdict="bad", reason="timing")
    verdict_after(lead=judged, rep=rep, hours=8, verdict="good")
    rejected = handed_off_lead(marketer=marketer, rep=rep, campaign=campaign)
    lead_reject_with_feedback(lead=rejected, by=rep, reason="not_icp")
    accepted_lead(marketer=marketer, rep=rep, campaign=campaign)
    expected = reference(scorecard_period("all"))
    Lead.objects.update(verdict_wait=None)
    ReasonDay.objects.all().delete()

    # when the data migration runs
    migration = importlib.import_module("feedback.migrations.0009_verdict_waits_and_reason_days_backfill")
    # (SQLite's schema editor cannot open inside the test's transaction; the backfill only needs
    # its connection and, on PostgreSQL, its execute)
    editor = SimpleNamespace(connection=connection, execute=lambda sql: connection.cursor().execute(sql))
    migration.verdict_waits_backfill(apps, editor)
    migration.reason_days_backfill(apps, editor)

    # then each lead waited for its first verdict, and the scorecard reads what it read before
    assert dict(Lead.objects.exclude(verdict_wait=None).values_list("pk", "verdict_wait")) == {
        judged.pk: timedelta(hours=3)
    }
    assert scorecard(scorecard_period("all")) == expected
    assert Counter(reason_days().values()) == Counter({1: 2})


@on_postgresql
def test_the_median_reads_the_waits_index_alone(marketer, rep):
    campaign = CampaignFactory(owner=marketer)
    verdict_after(lead=accepted_lead(marketer=marketer, rep=rep, campaign=campaign), rep=rep, hours=1)

    with connection.cursor() as cursor:
        # Without a sequential scan to fall back on (three rows would rather have one), the plan
        # shows whether the index can serve both the counts and the middle values.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + _median_waits_sql(""), [])
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert plan.count("Index Only Scan using lead_verdict_wait") == 2, plan
    assert "Sort" not in plan
