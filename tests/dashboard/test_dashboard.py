"""The shared dashboard's figures, on a dataset built by hand so every number can be checked."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import DurationField, ExpressionWrapper, F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alignment.aggregates import Epoch, PercentileCont, percentiles_by_offset
from alignment.errors import InvalidInput, NotAllowed
from alignment.sla import sla_settings_get
from alignment.spreadsheets import csv_safe
from dashboard.figures import dashboard_figures
from dashboard.models import RevenueGoal
from dashboard.periods import dashboard_filters_parse
from dashboard.services import revenue_goal_set
from feedback.models import FeedbackItem, FeedbackKind, FeedbackStatus, ReasonCode, Verdict
from leads.models import ColdEpisode, ColdReason, Handoff, HandoffOutcome, Lead, LeadStatus, Source
from leads.rollup import lead_days_rebuild
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory, TeamFactory
from tests.feedback.factories import leads_carry_their_verdicts
from tests.leads.factories import CampaignFactory, LeadFactory

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
Q4 = {"period": "quarter", "start": "2026-10-01"}


def at(month, day, hour=9, year=2026):
    return datetime(year, month, day, hour, 0, tzinfo=UTC)


def figures_for(params, now=NOW):
    return dashboard_figures(filters=dashboard_filters_parse(params, today=now.date()), now=now)


@pytest.fixture
def world(db):
    """Q4 2026 (1 Oct – 31 Dec), seen on 23 Nov 2026 at noon.

    l1 captured, handed off, accepted, qualified and won (1000) inside the quarter;
    l2 captured and accepted in September, won (500) in October;
    l3 working (estimated 2000), accepted late, cold now;
    l4 rejected (not our ICP), recycled and handed off again (open, 300), its second handoff overdue;
    l5 new (700, not pipeline); l6 from July, lost; l7 qualified (5000), cold but snoozed;
    l8 and l9 rejected at once (not our ICP; no budget).
    """
    sales, east = TeamFactory(name="Sales"), TeamFactory(name="East")
    m1, m2 = MarketerFactory(team=TeamFactory(name="Marketing")), MarketerFactory()
    r1, r2 = RepFactory(team=sales, first_name="Rita", last_name="Ortega"), RepFactory(team=east)
    a = CampaignFactory(name="Alpha", owner=m1, source=Source.WEB)
    b = CampaignFactory(name="Beta", owner=m2, source=Source.EVENT)
    not_icp = ReasonCode.objects.get(code="not_icp")
    no_budget = ReasonCode.objects.get(code="no_budget")

    def lead(campaign, captured, **fields):
        return LeadFactory(
            campaign=campaign, captured_at=captured, last_touch_at=captured, last_activity_at=captured, **fields
        )

    def handoff(lead, rep, created, outcome=HandoffOutcome.OPEN, ended=None, reason=None):
        return Handoff.objects.create(
            lead=lead,
            by=lead.captured_by,
            to_rep=rep,
            note="story",
            created_at=created,
            sla_due_at=created + timedelta(hours=24),
            outcome=outcome,
            ended_at=ended,
            reject_reason=reason,
        )

    W = LeadStatus
    l1 = lead(
        a,
        at(10, 5),
        status=W.WON,
        owner=r1,
        handed_off_at=at(10, 6),
        accepted_at=at(10, 6, 11),
        qualified_at=at(10, 20),
        won_at=at(11, 2, 10),
        won_amount=Decimal("1000"),
    )
    l2 = lead(
        b,
        at(9, 10),
        status=W.WON,
        owner=r2,
        handed_off_at=at(9, 12),
        accepted_at=at(9, 13),
        qualified_at=at(9, 30),
        won_at=at(10, 10),
        won_amount=Decimal("500"),
    )
    l3 = lead(
        a,
        at(10, 7),
        status=W.WORKING,
        owner=r1,
        handed_off_at=at(10, 8),
        accepted_at=at(10, 9, 13),
        estimated_value=Decimal("2000"),
    )
    l4 = lead(
        a,
        at(10, 10),
        status=W.HANDED_OFF,
        owner=r2,
        handed_off_at=at(10, 11),
        recycle_count=1,
        estimated_value=Decimal("300"),
    )
    lead(b, at(11, 1), status=W.NEW, estimated_value=Decimal("700"))
    l6 = lead(b, at(7, 1), status=W.LOST, owner=r2, handed_off_at=at(7, 2), accepted_at=at(7, 3), lost_at=at(7, 10))
    l7 = lead(
        b,
        at(10, 15),
        status=W.QUALIFIED,
        owner=r2,
        handed_off_at=at(10, 16),
        accepted_at=at(10, 16, 13),
        qualified_at=at(11, 10),
        estimated_value=Decimal("5000"),
        snoozed_until=NOW + timedelta(days=2),
    )
    l8 = lead(b, at(10, 2), status=W.REJECTED, owner=r1, handed_off_at=at(10, 3))
    l9 = lead(b, at(10, 2), status=W.REJECTED, owner=r2, handed_off_at=at(10, 3))

    handoff(l1, r1, at(10, 6), HandoffOutcome.ACCEPTED, at(10, 6, 11))  # 2 h, in time
    handoff(l2, r2, at(9, 12), HandoffOutcome.ACCEPTED, at(9, 12, 10))  # September: not counted
    handoff(l3, r1, at(10, 8), HandoffOutcome.ACCEPTED, at(10, 9, 13))  # 28 h, late
    handoff(l4, r1, at(10, 11), HandoffOutcome.REJECTED, at(10, 11, 15), not_icp)
    handoff(l4, r2, at(10, 20))  # handed off again, never answered: missed
    handoff(l6, r2, at(7, 2), HandoffOutcome.ACCEPTED, at(7, 3))
    handoff(l7, r2, at(10, 16), HandoffOutcome.ACCEPTED, at(10, 16, 13))  # 4 h, in time
    handoff(l8, r1, at(10, 3), HandoffOutcome.REJECTED, at(10, 3, 10), not_icp)
    handoff(l9, r2, at(10, 3), HandoffOutcome.REJECTED, at(10, 3, 12), no_budget)

    Verdict.objects.create(lead=l1, rep=r1, verdict="good", created_at=at(10, 7))
    Verdict.objects.create(lead=l3, rep=r1, verdict="bad", reason=no_budget, current=False, created_at=at(10, 9))
    Verdict.objects.create(lead=l3, rep=r1, verdict="good", created_at=at(10, 12))  # reopened: now good
    Verdict.objects.create(lead=l7, rep=r2, verdict="bad", reason=no_budget, created_at=at(10, 20))
    Verdict.objects.create(lead=l2, rep=r2, verdict="good", created_at=at(9, 14))  # September

    def item(lead, created, status=FeedbackStatus.OPEN):
        return FeedbackItem.objects.create(
            lead=lead,
            kind=FeedbackKind.REJECTED,
            assignee=lead.captured_by,
            status=status,
            created_at=created,
            resolved_at=created + timedelta(days=1) if status == FeedbackStatus.RESOLVED else None,
        )

    item(l4, at(11, 20, 12))  # 3 days old
    item(l8, at(11, 13, 12))  # 10 days old
    item(l9, at(11, 1), FeedbackStatus.RESOLVED)

    ColdEpisode.objects.create(lead=l3, reason=ColdReason.NO_ACTIVITY, cold_since=at(11, 10), opened_at=at(11, 17))
    ColdEpisode.objects.create(lead=l7, reason=ColdReason.NO_ACTIVITY, cold_since=at(11, 12), opened_at=at(11, 19))
    ColdEpisode.objects.create(
        lead=l1, reason=ColdReason.NO_ACTIVITY, cold_since=at(10, 8), opened_at=at(10, 9), closed_at=at(10, 10)
    )

    # Built by hand, behind the services' back: roll the leads up as `rebuild_dashboard` does.
    leads_carry_their_verdicts()
    lead_days_rebuild()
    manager = ManagerFactory()
    revenue_goal_set(period="quarter", starts_on=date(2026, 11, 5), amount="8000", by=manager)
    revenue_goal_set(period="quarter", starts_on=date(2026, 10, 1), amount="10000", by=manager, note="raised")
    return {"a": a, "b": b, "east": east, "m1": m1, "r1": r1, "r2": r2, "manager": manager}


def test_dashboard_revenue_goal_and_pipeline(world):
    figures = figures_for(Q4)

    assert figures["period"]["start"] == date(2026, 10, 1)
    assert figures["period"]["end"] == date(2026, 12, 31)
    # l2 was captured in September and won in October: its revenue counts in Q4.
    assert figures["won_revenue"] == Decimal("1500.00")
    assert figures["won_count"] == 2
    assert figures["goal"] == Decimal("10000.00")
    assert figures["goal_detail"]["set_by"] == world["manager"].username
    assert figures["attainment"] == 0.15
    assert figures["remaining"] == Decimal("8500.00")
    # 53 of 92 days gone, 39 left: 8500 / (39 / 7) a week.
    assert figures["pace"] == {
        "days_left": 39,
        "needed_per_week": Decimal("1525.64"),
        "expected_to_date": Decimal("5760.87"),
    }
    # Open now: l3 working 2000, l4 handed off 300, l7 qualified 5000 (l5 is new: not pipeline).
    assert figures["pipeline_value"] == Decimal("7300.00")
    assert figures["pipeline_count"] == 3


def test_dashboard_funnel_activity_and_cohort(world):
    figures = figures_for(Q4)

    # Activity: each step dated inside Q4. l4, handed off twice, counts once (its first date).
    funnel = figures["funnel"]
    assert [funnel[s] for s in ("captured", "handed_off", "accepted", "qualified", "won")] == [7, 6, 3, 2, 2]
    # Cohort: the 7 leads captured in Q4, by how far they got; l2 (captured in September) is not one.
    cohort = figures["cohort_funnel"]
    assert [cohort[s] for s in ("captured", "handed_off", "accepted", "qualified", "won")] == [7, 6, 3, 2, 1]
    assert cohort["won_revenue"] == Decimal("1000.00")
    steps = cohort["steps"]
    assert steps[0] == {"step": "captured", "count": 7, "conversion": None, "drop_off": None}
    assert steps[1] == {"step": "handed_off", "count": 6, "conversion": 0.8571, "drop_off": 1}
    assert steps[2] == {"step": "accepted", "count": 3, "conversion": 0.5, "drop_off": 3}
    assert steps[4] == {"step": "won", "count": 1, "conversion": 0.5, "drop_off": 1}


def test_dashboard_sla_and_time_to_accept(world):
    sla = figures_for(Q4)["sla"]

    # Decided in Q4: l1, l3, l7 accepted, l4, l8, l9 rejected; l4's second handoff missed its deadline.
    assert sla["due"] == 7
    assert sla["accepted_in_time"] == 2
    assert sla["attainment"] == 0.2857
    assert sla["accepted"] == 3
    # Waits of 2 h, 4 h and 28 h: the median is 4 h; p95 interpolates 90 % of the way from 4 h to 28 h.
    assert sla["median_seconds_to_accept"] == 4 * 3600
    assert sla["p95_seconds_to_accept"] == 14400 + 0.9 * (100800 - 14400)


def test_speed_to_lead_overall_and_by_rep(world):
    speed = figures_for(Q4)["speed_to_lead"]

    # Handed off in Q4 and answered: r1 in 1 h (l8), 2 h (l1), 6 h (l4) and 28 h (l3); r2 in 3 h (l9)
    # and 4 h (l7). l4's second handoff is not answered yet: it is in no percentile.
    assert speed["answered"] == 6
    assert speed["p50_seconds"] == 3.5 * 3600  # halfway between 3 h and 4 h
    assert speed["p90_seconds"] == 17 * 3600  # halfway between 6 h and 28 h
    assert speed["within_5_minutes"] == 0
    assert speed["within_1_hour"] == 0.1667  # l8, exactly one hour
    assert speed["by_rep"] == [
        {
            "rep": {"id": world["r1"].pk, "name": "Rita Ortega"},
            "p50_seconds": 4 * 3600,
            "p90_seconds": 21.4 * 3600,
            "within_5_minutes": 0,
            "within_1_hour": 0.25,
            "answered": 4,
        },
        {
            "rep": {"id": world["r2"].pk, "name": world["r2"].username},
            "p50_seconds": 3.5 * 3600,
            "p90_seconds": 3.9 * 3600,
            "within_5_minutes": 0,
            "within_1_hour": 0,
            "answered": 2,
        },
    ]


def test_speed_to_lead_follows_the_filters(world):
    speed = figures_for({**Q4, "campaign": str(world["a"].pk)})["speed_to_lead"]

    # Alpha's leads: l1 (2 h), l3 (28 h) and l4 (6 h), all r1's.
    assert speed["answered"] == 3
    assert speed["p50_seconds"] == 6 * 3600
    assert [row["rep"]["name"] for row in speed["by_rep"]] == ["Rita Ortega"]


def test_speed_to_lead_counts_business_hours_when_they_are_configured(db):
    # given Mon-Fri 09:00-17:00 UTC, and two handoffs: one on Friday at 16:58 accepted on Monday at
    # 09:02 (4 working minutes), one on Monday at 10:00 rejected at 10:30
    policy = sla_settings_get()
    policy.business_hours = "Mon-Fri 09:00-17:00 UTC"
    policy.save()
    rep, marketer = RepFactory(), MarketerFactory()
    campaign = CampaignFactory(owner=marketer)
    for created, outcome, ended in (
        (datetime(2026, 10, 2, 16, 58, tzinfo=UTC), HandoffOutcome.ACCEPTED, datetime(2026, 10, 5, 9, 2, tzinfo=UTC)),
        (datetime(2026, 10, 5, 10, 0, tzinfo=UTC), HandoffOutcome.REJECTED, datetime(2026, 10, 5, 10, 30, tzinfo=UTC)),
    ):
        Handoff.objects.create(
            lead=LeadFactory(campaign=campaign, captured_by=marketer),
            by=marketer,
            to_rep=rep,
            note="story",
            created_at=created,
            sla_due_at=created + timedelta(hours=8),
            outcome=outcome,
            ended_at=ended,
        )

    # when
    speed = figures_for(Q4)["speed_to_lead"]

    # then the weekend does not count against the rep
    assert speed["answered"] == 2
    assert speed["p50_seconds"] == 17 * 60  # halfway between 4 and 30 minutes
    assert speed["within_5_minutes"] == 0.5
    assert speed["within_1_hour"] == 1


def test_dashboard_cold_feedback_quality_and_reasons(world):
    figures = figures_for(Q4)

    assert figures["cold"] == {"now": 1, "snoozed": 1}
    # Open items 3 and 10 days old.
    assert figures["feedback_backlog"] == {"open": 2, "median_age_seconds": 6.5 * 86400}
    # l3's bad verdict was revised to good: only the current one counts.
    assert figures["quality_by_campaign"] == [
        {"campaign_id": world["a"].pk, "campaign": "Alpha", "good": 2, "bad": 0, "good_share": 1.0, "bad_share": 0.0},
        {"campaign_id": world["b"].pk, "campaign": "Beta", "good": 0, "bad": 1, "good_share": 0.0, "bad_share": 1.0},
    ]
    assert figures["rejection_reasons"] == [
        {"code": "not_icp", "label": "Not our ideal customer", "count": 2, "share": 0.6667, "cumulative_share": 0.6667},
        {"code": "no_budget", "label": "No budget", "count": 1, "share": 0.3333, "cumulative_share": 1.0},
    ]


def test_dashboard_quality_counts_a_verdict_given_in_the_period_on_an_older_lead(world):
    # given a lead captured and accepted in September, judged good in October
    old = LeadFactory(
        campaign=world["b"],
        owner=world["r2"],
        status=LeadStatus.WORKING,
        captured_at=at(9, 1),
        last_touch_at=at(9, 1),
        last_activity_at=at(9, 1),
        handed_off_at=at(9, 2),
        accepted_at=at(9, 3),
    )
    Verdict.objects.create(lead=old, rep=world["r2"], verdict="good", created_at=at(10, 5))
    leads_carry_their_verdicts()
    lead_days_rebuild()

    beta = figures_for(Q4)["quality_by_campaign"][1]

    assert (beta["campaign"], beta["good"], beta["bad"]) == ("Beta", 1, 1)


def test_dashboard_revenue_breakdowns_and_weeks(world):
    figures = figures_for(Q4)

    assert [(r["campaign"], r["revenue"], r["won"]) for r in figures["revenue_by_campaign"]] == [
        ("Alpha", Decimal("1000.00"), 1),
        ("Beta", Decimal("500.00"), 1),
    ]
    assert [(r["source"], r["revenue"]) for r in figures["revenue_by_source"]] == [
        ("web", Decimal("1000.00")),
        ("event", Decimal("500.00")),
    ]
    assert [r["revenue"] for r in figures["revenue_by_marketer"]] == [Decimal("1000.00"), Decimal("500.00")]
    assert figures["revenue_by_marketer"][0]["name"] == world["m1"].username
    assert [(r["name"], r["revenue"]) for r in figures["revenue_by_rep"]] == [
        ("Rita Ortega", Decimal("1000.00")),  # by name; without one, by username
        (world["r2"].username, Decimal("500.00")),
    ]
    weeks = figures["revenue_by_week"]
    assert len(weeks) == 14
    assert weeks[0]["week"] == date(2026, 9, 28)
    by_week = {w["week"]: w["revenue"] for w in weeks}
    assert by_week[date(2026, 10, 5)] == Decimal("500.00")  # won on Saturday 10 October
    assert by_week[date(2026, 11, 2)] == Decimal("1000.00")
    assert sum(by_week.values()) == Decimal("1500.00")
    this_week = next(w for w in weeks if w["week"] == date(2026, 11, 23))
    assert this_week["cumulative"] == Decimal("1500.00")
    assert weeks[-1]["cumulative"] is None  # still to come
    assert weeks[-1]["goal_to_date"] == Decimal("10000.00")


def test_dashboard_filters_by_campaign_source_and_team(world):
    alpha = figures_for({**Q4, "campaign": str(world["a"].pk)})
    assert alpha["won_revenue"] == Decimal("1000.00")
    assert alpha["pipeline_value"] == Decimal("2300.00")
    assert alpha["funnel"]["captured"] == 3

    event = figures_for({**Q4, "source": "event"})
    assert event["won_revenue"] == Decimal("500.00")
    assert event["pipeline_value"] == Decimal("5000.00")

    # East is r2's team: the leads r2 owns (l2, l4, l6, l7, l9).
    east = figures_for({**Q4, "team": str(world["east"].pk)})
    assert east["won_revenue"] == Decimal("500.00")
    assert east["pipeline_value"] == Decimal("5300.00")
    assert east["cold"] == {"now": 0, "snoozed": 1}
    assert [r["label"] for r in east["rejection_reasons"]] == ["No budget", "Not our ideal customer"]


def test_dashboard_month_and_custom_periods(world):
    october = figures_for({"period": "month", "start": "2026-10-15"})
    assert (october["period"]["start"], october["period"]["end"]) == (date(2026, 10, 1), date(2026, 10, 31))
    assert october["won_revenue"] == Decimal("500.00")
    # Only the quarter has a goal: October takes its share of the quarter's days, 31 of 92.
    assert october["goal"] == Decimal("3369.57")
    assert october["goal_detail"]["basis"] == "quarter_prorated"
    assert "prorated" in october["goal_detail"]["text"]

    custom = figures_for({"period": "custom", "start": "2026-11-01", "end": "2026-11-02"})
    assert custom["won_revenue"] == Decimal("1000.00")
    assert custom["funnel"]["captured"] == 1
    assert custom["goal"] is None


def test_dashboard_team_filter_reads_the_teams_goal_and_its_pace(world):
    # given East's own goal for Q4, and none for Sales
    revenue_goal_set(
        period="quarter", starts_on=date(2026, 10, 1), amount="2000", by=world["manager"], team=world["east"]
    )

    # when East's dashboard is read
    east = figures_for({**Q4, "team": str(world["east"].pk)})

    # then its revenue (500, l2) stands against its own goal, not the company's 10000
    assert east["goal"] == Decimal("2000.00")
    assert east["goal_detail"]["team"] == {"id": world["east"].pk, "name": "East"}
    assert east["attainment"] == 0.25
    assert east["remaining"] == Decimal("1500.00")
    # 53 of 92 days gone, 39 left: 1500 / (39 / 7) a week.
    assert east["pace"]["needed_per_week"] == Decimal("269.23")
    assert east["pace"]["expected_to_date"] == Decimal("1152.17")
    # the company keeps its own goal
    assert figures_for(Q4)["goal"] == Decimal("10000.00")
    # a team without a goal has none (the company's is not its own)
    sales = TeamFactory(name="Sales team without goal")
    assert figures_for({**Q4, "team": str(sales.pk)})["goal"] is None


def test_dashboard_company_goal_is_the_sum_of_team_goals_without_its_own(world):
    # given a quarter with two team goals and no company goal
    manager, east = world["manager"], world["east"]
    west = TeamFactory(name="West")
    revenue_goal_set(period="quarter", starts_on=date(2027, 1, 1), amount="3000", by=manager, team=east)
    revenue_goal_set(period="quarter", starts_on=date(2027, 1, 1), amount="6000", by=manager, team=west)
    revenue_goal_set(period="month", starts_on=date(2027, 2, 1), amount="100", by=manager, team=west)

    q1 = figures_for({"period": "quarter", "start": "2027-01-01"})
    february = figures_for({"period": "month", "start": "2027-02-01"})

    assert q1["goal"] == Decimal("9000.00")
    assert q1["goal_detail"]["basis"] == "team_sum"
    assert q1["goal_detail"]["text"] == "The sum of 2 team goals."
    # February: East's quarter prorated (28 of 90 days: 933.33) plus West's own month goal (100).
    assert february["goal"] == Decimal("1033.33")
    # and the company setting its own goal replaces the sum
    revenue_goal_set(period="quarter", starts_on=date(2027, 1, 1), amount="12000", by=manager)
    assert figures_for({"period": "quarter", "start": "2027-01-01"})["goal"] == Decimal("12000.00")


def test_dashboard_of_an_empty_period_is_zeros_and_nulls(world):
    figures = figures_for({"period": "month", "start": "2025-01-01"})

    assert figures["won_revenue"] == Decimal("0.00")
    assert figures["goal"] is None and figures["attainment"] is None
    assert all(step["count"] == 0 for step in figures["funnel"]["steps"])
    assert [s["conversion"] for s in figures["cohort_funnel"]["steps"]] == [None] * 5
    assert figures["sla"] == {
        "due": 0,
        "accepted_in_time": 0,
        "attainment": None,
        "accepted": 0,
        "median_seconds_to_accept": None,
        "p95_seconds_to_accept": None,
    }
    assert figures["speed_to_lead"] == {
        "p50_seconds": None,
        "p90_seconds": None,
        "within_5_minutes": None,
        "within_1_hour": None,
        "answered": 0,
        "clock": "Every hour counts, around the clock.",
        "by_rep": [],
        # Every bucket of the curve, empty: zeros and no shares.
        "by_response": [
            {"bucket": bucket, "answered": 0, "judged": 0, "good": 0, "good_share": None, "won": 0, "won_share": None}
            for bucket in ("within_5_minutes", "within_1_hour", "within_24_hours", "later")
        ],
    }
    assert figures["quality_by_campaign"] == figures["rejection_reasons"] == figures["revenue_by_campaign"] == []
    assert all(w["revenue"] == 0 for w in figures["revenue_by_week"])


def test_dashboard_of_an_empty_database(db):
    figures = figures_for({})

    assert figures["won_revenue"] == figures["pipeline_value"] == Decimal("0.00")
    assert figures["cold"] == {"now": 0, "snoozed": 0}
    assert figures["feedback_backlog"] == {"open": 0, "median_age_seconds": None}
    assert figures["sla"]["attainment"] is None


def test_dashboard_goal_pace_when_the_goal_is_met(world):
    revenue_goal_set(period="month", starts_on=date(2026, 10, 1), amount="400", by=world["manager"])

    october = figures_for({"period": "month", "start": "2026-10-01"})

    assert october["remaining"] == Decimal("0.00")
    assert october["attainment"] == 1.25
    assert october["pace"]["days_left"] == 0
    assert october["pace"]["needed_per_week"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "year"}, "period"),
        ({"start": "2026-13-01"}, "start"),
        ({"period": "custom", "start": "2026-10-01"}, "end"),
        ({"period": "custom", "start": "2026-10-02", "end": "2026-10-01"}, "end"),
        ({"period": "custom", "start": "2020-01-01", "end": "2026-01-01"}, "end"),
        ({"campaign": "abc"}, "campaign"),
        ({"campaign": "99999999"}, "campaign"),
        ({"campaign": "99999999999999999999999"}, "campaign"),
        ({"team": "0"}, "team"),
        ({"source": "tv"}, "source"),
        ({"period": "month", "start": "9999-12-31"}, "start"),
        ({"period": "quarter", "start": "0001-01-01"}, "start"),
        ({"period": "quarter", "start": "1999-12-31"}, "start"),
        ({"period": "custom", "start": "2026-01-01", "end": "9999-12-31"}, "end"),
        ({"period": "custom", "start": "9999-01-01", "end": "9999-12-31"}, "start"),
    ],
)
def test_dashboard_filters_refuse_bad_values(db, params, field):
    with pytest.raises(InvalidInput) as error:
        dashboard_filters_parse(params)
    assert field in error.value.fields


def test_dashboard_defaults_to_this_quarter(db):
    filters = dashboard_filters_parse({}, today=date(2026, 8, 14))
    assert (filters.kind, filters.start, filters.end) == ("quarter", date(2026, 7, 1), date(2026, 9, 30))


def test_dashboard_query_count_does_not_grow_with_leads_or_reps(db, django_assert_num_queries):
    marketer, rep = MarketerFactory(), RepFactory()
    campaign = CampaignFactory(owner=marketer)
    if connection.vendor != "postgresql":
        pytest.skip("The pinned count is PostgreSQL's; SQLite computes percentiles with extra queries.")

    def add(n, offset, reps):
        day = datetime(2026, 10, 1, tzinfo=UTC)
        leads = Lead.objects.bulk_create(
            Lead(
                email=f"bulk{offset + i}@example.test",
                campaign=campaign,
                captured_by=marketer,
                owner=reps[i % len(reps)],
                status=LeadStatus.WON if i % 3 == 0 else LeadStatus.WORKING,
                captured_at=day + timedelta(hours=i % 2000),
                last_touch_at=day,
                last_activity_at=day,
                won_at=day + timedelta(days=20) if i % 3 == 0 else None,
                won_amount=Decimal("10") if i % 3 == 0 else None,
                estimated_value=Decimal("5"),
            )
            for i in range(n)
        )
        Handoff.objects.bulk_create(
            Handoff(
                lead=lead,
                by=marketer,
                to_rep=lead.owner,
                note="story",
                created_at=lead.captured_at,
                sla_due_at=lead.captured_at + timedelta(hours=24),
                outcome=HandoffOutcome.ACCEPTED,
                ended_at=lead.captured_at + timedelta(minutes=i % 90),
            )
            for i, lead in enumerate(leads)
        )

    filters = dashboard_filters_parse(Q4)
    sla_settings_get()  # the settings row exists, as it does once anyone has read it
    add(10, 0, [rep])
    # One bad verdict waits for marketing's answer: the backlog's middle item is read.
    FeedbackItem.objects.create(
        lead=Lead.objects.first(), kind=FeedbackKind.BAD_VERDICT, assignee=marketer, created_at=NOW
    )
    leads_carry_their_verdicts()
    lead_days_rebuild()
    # 1 the goal; from the daily roll-up: 2 totals and both funnels, 3 revenue and quality by campaign,
    # 4 by source, 5 by marketer, 6 by rep, 7 by week; live: 8 open pipeline and snoozed, 9 cold,
    # 10 handoffs (SLA and percentiles), 11 rejection reasons, 12 the feedback backlog's count,
    # 13 its middle items in index order; speed to lead: 14 the SLA clock's settings, 15 the totals
    # and by rep in one ROLLUP, 16 the verdicts by time to first response (one GROUP BY)
    with django_assert_num_queries(16):
        small = dashboard_figures(filters=filters, now=NOW)
    add(10_000, 10, [rep, *RepFactory.create_batch(20)])
    leads_carry_their_verdicts()
    lead_days_rebuild()
    with django_assert_num_queries(16):
        big = dashboard_figures(filters=filters, now=NOW)
    assert (small["won_count"], big["won_count"]) == (4, 3338)
    assert (small["speed_to_lead"]["answered"], big["speed_to_lead"]["answered"]) == (10, 10_010)
    assert (len(small["speed_to_lead"]["by_rep"]), len(big["speed_to_lead"]["by_rep"])) == (1, 21)
    assert sum(b["answered"] for b in big["speed_to_lead"]["by_response"]) == 10_010


def test_percentiles_by_offset_match_percentile_cont(world):
    """The SQLite way gives PostgreSQL's answer on the same rows."""
    if connection.vendor != "postgresql":
        pytest.skip("Compares against PostgreSQL's percentile_cont.")
    accepted = Handoff.objects.filter(outcome=HandoffOutcome.ACCEPTED)

    wait = ExpressionWrapper(F("ended_at") - F("created_at"), output_field=DurationField())
    fractions = (0.0, 0.25, 0.5, 0.9, 0.95, 1.0)
    by_offset = [v.total_seconds() for v in percentiles_by_offset(accepted, wait, fractions, accepted.count())]
    by_pg = [accepted.aggregate(p=PercentileCont(Epoch(wait), f))["p"] for f in fractions]
    assert by_offset == pytest.approx(by_pg)


def test_revenue_goal_set_keeps_history(world):
    goals = RevenueGoal.objects.filter(period="quarter", starts_on=date(2026, 10, 1)).order_by("set_at", "id")

    assert [(g.amount, g.current) for g in goals] == [(Decimal("8000.00"), False), (Decimal("10000.00"), True)]
    assert goals[1].note == "raised"


def test_revenue_goal_set_is_for_managers_and_checks_the_amount(world):
    with pytest.raises(NotAllowed):
        revenue_goal_set(period="month", starts_on=date(2026, 10, 1), amount="1", by=world["m1"])
    with pytest.raises(InvalidInput) as error:
        revenue_goal_set(period="week", starts_on=date(2026, 10, 1), amount="-1", by=world["manager"])
    assert set(error.value.fields) == {"period", "amount"}
    assert RevenueGoal.objects.count() == 2


# --- API and pages ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["m1", "r1", "manager"])
def test_dashboard_api_gives_every_role_the_same_figures(world, client, role):
    client.force_login(world[role])

    response = client.get(reverse("dashboard-api:dashboard"), {"period": "quarter", "start": "2026-10-01"})

    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {"kind": "quarter", "label": "Q4 2026", "start": "2026-10-01", "end": "2026-12-31"}
    assert body["won_revenue"] == 1500.0
    assert body["goal"] == 10000.0
    assert body["pipeline_value"] == 7300.0
    assert {k: body["funnel"][k] for k in ("captured", "handed_off", "accepted", "qualified", "won")} == {
        "captured": 7,
        "handed_off": 6,
        "accepted": 3,
        "qualified": 2,
        "won": 2,
    }


def test_dashboard_api_refuses_bad_filters_with_400(world, client):
    client.force_login(world["r1"])

    response = client.get(
        reverse("dashboard-api:dashboard"), {"period": "custom", "start": "2026-10-09", "end": "nope"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "end" in response.json()["fields"]


@pytest.mark.parametrize(
    "params",
    [
        {"period": "month", "start": "9999-12-31"},
        {"period": "quarter", "start": "9999-12-31"},
        {"period": "quarter", "start": "0001-01-01"},
        {"period": "custom", "start": "9999-01-01", "end": "9999-12-31"},
    ],
)
def test_dashboard_refuses_days_out_of_range_everywhere(world, client, params):
    client.force_login(world["r1"])

    api = client.get(reverse("dashboard-api:dashboard"), params)
    page = client.get(reverse("dashboard:dashboard"), params)
    export = client.get(reverse("dashboard:export", args=["funnel"]), params)

    assert api.status_code == 400
    assert api.json()["code"] == "invalid"
    assert "Choose a day between 1 Jan 2000 and 31 Dec 2100." in str(api.json()["fields"])
    assert page.status_code == 400
    assert "Choose a day between 1 Jan 2000 and 31 Dec 2100." in page.content.decode()
    assert "Showing this quarter instead." in page.content.decode()
    assert export.status_code == 400


@pytest.mark.parametrize(
    ("params", "previous", "next_"),
    [
        ({"period": "quarter", "start": "2000-01-01"}, None, "2000-04-01"),
        ({"period": "month", "start": "2100-12-31"}, "2100-11-01", None),
        ({"period": "quarter", "start": "2100-10-01"}, "2100-07-01", None),
    ],
)
def test_dashboard_at_the_edge_of_the_range_links_only_inside_it(world, client, params, previous, next_):
    client.force_login(world["r1"])

    response = client.get(reverse("dashboard:dashboard"), params)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'min="2000-01-01" max="2100-12-31"' in html
    for testid, day in (("previous-period", previous), ("next-period", next_)):
        if day is None:
            assert f'data-testid="{testid}"' not in html
        else:
            assert f"start={day}" in html
            assert client.get(reverse("dashboard:dashboard"), dict(params, start=day)).status_code == 200


def test_dashboard_api_needs_a_login(db, client):
    assert client.get(reverse("dashboard-api:dashboard")).status_code in (401, 403)


def test_dashboard_page_shows_the_figures_and_embeds_chart_data(world, client):
    client.force_login(world["r1"])

    response = client.get(reverse("dashboard:dashboard"), Q4)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="dashboard-data"' in html
    assert "€1,500" in html  # won revenue
    assert "€7,300" in html  # pipeline
    assert "<script>" not in html and "onclick" not in html


def test_dashboard_api_gives_speed_to_lead_and_the_currency(world, client, settings):
    settings.ALIGNMENT_CURRENCY = "USD"
    client.force_login(world["m1"])

    body = client.get(reverse("dashboard-api:dashboard"), Q4).json()

    assert body["currency"] == "USD"
    assert body["won_revenue"] == 1500.0  # amounts stay numbers
    speed = body["speed_to_lead"]
    assert (speed["answered"], speed["p50_seconds"], speed["within_1_hour"]) == (6, 12600.0, 0.1667)
    assert [row["rep"] for row in speed["by_rep"]] == [
        {"id": world["r1"].pk, "name": "Rita Ortega"},
        {"id": world["r2"].pk, "name": world["r2"].username},
    ]


def test_dashboard_page_shows_speed_to_lead_with_reps_by_name(world, client):
    client.force_login(world["r2"])

    html = client.get(reverse("dashboard:dashboard"), Q4).content.decode()

    assert 'data-testid="speed-p50">4 h' in html  # 3.5 h, rounded as the page rounds hours
    assert 'data-testid="speed-p90">17 h' in html
    assert 'data-testid="speed-5-minutes">0%<' in html
    assert 'data-testid="speed-1-hour">17%<' in html
    assert '<th scope="row">Rita Ortega</th><td>4</td><td>4 hours</td>' in html
    assert "Every hour counts, around the clock." in html
    assert "No answered handoffs in this period." not in html


def test_time_to_accept_and_speed_to_lead_say_what_each_counts(world, client):
    client.force_login(world["r2"])

    html = client.get(reverse("dashboard:dashboard"), Q4).content.decode()
    figures = figures_for(Q4)

    # Time to accept counts acceptances only, in calendar time; speed to lead every first answer.
    accept_help = html.split('data-testid="time-to-accept-help">')[1].split("</small>")[0]
    assert f"of the {figures['sla']['accepted']} handoffs accepted in the period" in accept_help
    assert "rejections are left out" in accept_help
    speed_help = html.split('data-testid="speed-help">')[1].split("</p>")[0]
    assert "<strong>accept or reject</strong>" in speed_help
    assert "a quick rejection counts here" in speed_help
    # and the counts differ for that reason: the quick rejections are answers, not acceptances
    assert figures["speed_to_lead"]["answered"] > figures["sla"]["accepted"]


def test_dashboard_page_says_when_no_handoff_was_answered(world, client):
    client.force_login(world["r2"])

    html = client.get(reverse("dashboard:dashboard"), {"period": "month", "start": "2025-01-01"}).content.decode()

    assert "No answered handoffs in this period." in html
    assert 'data-testid="speed-p50"' not in html


def test_dashboard_page_gives_the_period_switch_the_days_to_reset_to(world, client):
    client.force_login(world["r1"])

    html = client.get(reverse("dashboard:dashboard"), Q4).content.decode()

    today = timezone.localdate().isoformat()
    assert f'data-today="{today}" data-period-start="2026-10-01" data-period-end="2026-12-31"' in html


def test_dashboard_period_type_without_dates_is_the_current_period(db):
    # A month after a quarter, the dates left out: this month, not the quarter's first one.
    month = dashboard_filters_parse({"period": "month", "start": "", "end": ""}, today=date(2026, 12, 14))
    quarter = dashboard_filters_parse({"period": "quarter"}, today=date(2026, 12, 14))

    assert (month.start, month.end, month.label) == (date(2026, 12, 1), date(2026, 12, 31), "December 2026")
    assert (quarter.start, quarter.end) == (date(2026, 10, 1), date(2026, 12, 31))


def test_dashboard_page_with_a_bad_filter_says_so(world, client):
    client.force_login(world["m1"])

    response = client.get(reverse("dashboard:dashboard"), {"team": "abc"})

    assert response.status_code == 400
    assert "A team is chosen by its id." in response.content.decode()


def test_dashboard_csv_export_neutralises_formulas(world, client):
    world["a"].name = "=HYPERLINK(1)"
    world["a"].save()
    client.force_login(world["manager"])

    response = client.get(reverse("dashboard:export", kwargs={"table": "revenue_by_campaign"}), Q4)

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Campaign", "Leads won", "Won revenue"]
    assert rows[1] == ["'=HYPERLINK(1)", "1", "1000.00"]
    assert client.get(reverse("dashboard:export", kwargs={"table": "nope"}), Q4).status_code == 404
    assert client.get(reverse("dashboard:export", kwargs={"table": "funnel"}), {"period": "x"}).status_code == 400


def test_dashboard_tables_group_amounts_like_the_headline_figures(world, client):
    client.force_login(world["manager"])

    html = client.get(reverse("dashboard:dashboard"), Q4).content.decode()

    assert '<th scope="row">Alpha</th><td>1</td><td>€1,000</td>' in html
    assert '<th scope="row">Beta</th><td>1</td><td>€500</td>' in html


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"])
def test_csv_safe_neutralises_formula_prefixes(value):
    assert csv_safe(value) == "'" + value


def test_revenue_goal_page_lets_managers_set_and_others_read(world, client):
    client.force_login(world["r1"])
    assert client.get(reverse("dashboard:goal")).status_code == 200
    assert client.post(reverse("dashboard:goal"), {"period": "month"}).status_code == 403

    client.force_login(world["manager"])
    response = client.post(
        reverse("dashboard:goal"), {"period": "month", "starts_on": "2026-12-10", "amount": "2500", "note": ""}
    )
    assert response.status_code == 302
    assert RevenueGoal.objects.get(period="month", current=True).starts_on == date(2026, 12, 1)
    bad = client.post(reverse("dashboard:goal"), {"period": "month", "starts_on": "x", "amount": "-3"})
    assert bad.status_code == 400
    assert RevenueGoal.objects.count() == 3


def test_revenue_goal_page_sets_a_teams_goal_and_the_dashboard_shows_it(world, client):
    client.force_login(world["manager"])
    east = world["east"]
    response = client.post(
        reverse("dashboard:goal"),
        {"period": "quarter", "starts_on": "2026-10-01", "team": str(east.pk), "amount": "2000", "note": ""},
    )
    assert response.status_code == 302
    assert RevenueGoal.objects.get(team=east, current=True).amount == Decimal("2000.00")
    # the company's goal is untouched
    assert RevenueGoal.objects.get(team=None, current=True).amount == Decimal("10000.00")
    history = client.get(reverse("dashboard:goal")).content.decode()
    assert "<td>East</td>" in history

    page = client.get(reverse("dashboard:dashboard"), {**Q4, "team": str(east.pk)}).content.decode()
    assert "East&#x27;s goal" in page
    assert "€2,000" in page or "2,000" in page
    october = client.get(reverse("dashboard:dashboard"), {"period": "month", "start": "2026-10-01"})
    assert "No goal is set" not in october.content.decode()
    assert "prorated" in october.content.decode()


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, "–"),
        (600, "10 min"),
        (7 * 3600, "7 h"),
        (47 * 3600, "47 h"),
        (48 * 3600, "2 days"),
        (64 * 86400, "64 days"),
    ],
)
def test_durations_show_hours_under_two_days_and_days_beyond(seconds, shown):
    assert render_to_string("dashboard/_dashboard_duration.html", {"seconds": seconds}).strip() == shown


def test_speed_to_lead_reads_the_periods_handoffs_once(world, django_assert_num_queries):
    from alignment.aggregates import uses_percentile_cont
    from dashboard.figures.handoffs import speed_to_lead_figures

    filters = dashboard_filters_parse(Q4, today=NOW.date())
    sla_settings_get()  # the settings' row exists, as on any running site
    # 1 the SLA clock's settings, 2 every answered handoff's rep and seconds with the totals and by
    # rep (one pass, on every database), 3 the verdicts by time to first response.
    with django_assert_num_queries(3):
        speed = speed_to_lead_figures(filters, uses_percentile_cont())
    assert speed["answered"] == sum(row["answered"] for row in speed["by_rep"])
