"""The shared revenue dashboard: every figure, computed in one place for the page, the API and the digest.

Every figure is a SQL aggregate (a conditional `Count`/`Sum` or a small `GROUP BY`), so the number of
queries is fixed whatever the number of leads. The period's lead figures (revenue, both funnels, the
breakdowns, quality) are summed from the daily roll-up `LeadDay`, which the lead and verdict services
keep in step; the rest is read live. The figures are the same for every role on purpose: both
departments read one truth.

Semantics (the waterfall dates on a lead are set once and never rewritten):
- won revenue: `won_amount` of leads whose `won_at` falls in the period, whenever they were captured;
- pipeline value: `estimated_value` of leads open now (handed off, accepted, working, qualified);
- funnel, *activity*: how many leads reached each step inside the period (each date counted on its own);
  funnel, *cohort*: the leads captured in the period, by how far they have got since;
- SLA attainment: of the handoffs decided (accepted/rejected) in the period, or due in it and not
  decided in time, the share accepted by their SLA deadline; time to accept: accepted handoffs ending
  in the period, from handoff to acceptance;
- cold now: leads with an open cold episode that are not snoozed (snoozed ones are counted apart);
- feedback backlog: open feedback items now, with their median age;
- speed to lead: of the handoffs to a rep made in the period, those answered (accepted or rejected),
  from handoff to answer on the SLA clock (business hours when configured). The rep's first
  response is that answer: the lifecycle lets a rep log activity only once the lead is accepted.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from alignment.aggregates import uses_percentile_cont
from dashboard.figures.common import ZERO, money
from dashboard.figures.feedback import feedback_backlog_figures, feedback_backlog_open
from dashboard.figures.goal import goal_figures, goal_pace, revenue_by_week, revenue_goal_for_scope
from dashboard.figures.handoffs import rejection_reasons_figures, sla_figures, speed_to_lead_figures
from dashboard.figures.leads import (
    FUNNEL_STEPS,
    funnel,
    lead_breakdowns,
    lead_cold_now,
    lead_figures_now,
    lead_figures_of_period,
    lead_pipeline_now,
    lead_won_to_date_and_marketing_wins,
)
from dashboard.periods import DashboardFilters

__all__ = [
    "ZERO",
    "dashboard_as_json",
    "dashboard_figures",
    "goal_pace",
    "revenue_goal_for_scope",
    "speed_to_lead_figures",
]


def dashboard_figures(*, filters: DashboardFilters, now: datetime | None = None) -> dict:
    """Every figure of the dashboard for the filters; a fixed number of queries.

    On PostgreSQL, fifteen: 1 the goal of the filter's scope (the team's, or the company's); 2–7 the period's lead
    figures from the roll-up (totals and
    both funnels; revenue and quality by campaign; revenue by source, marketer, rep and week);
    8 the open pipeline and snoozed leads, 9 cold leads, 10 handoffs (SLA, percentiles),
    11 rejection reasons, 12–13 the feedback backlog (its count; its middle items in index order),
    14–15 speed to lead (the SLA clock's settings; the totals and by rep).
    Elsewhere (SQLite) the percentiles take ordered queries: still a fixed number.
    """
    now = now or timezone.now()
    on_pg = uses_percentile_cont()

    # 1
    goal = revenue_goal_for_scope(kind=filters.kind, start=filters.start, end=filters.end, team=filters.team)
    # 2–7
    lead_figures = lead_figures_of_period(filters)
    # 8, 9
    totals = {**lead_figures["totals"], **lead_figures_now(filters, now)}
    won_revenue = money(totals["won_revenue"])
    # 10
    sla = sla_figures(filters, now, on_pg)
    # 11
    rejection_reasons = rejection_reasons_figures(filters)
    # 12, 13
    backlog = feedback_backlog_figures(filters, now)
    # 14, 15
    speed_to_lead = speed_to_lead_figures(filters, on_pg)

    activity = {step: totals[step] for step in FUNNEL_STEPS}
    # The cohort is the leads captured in the period: its first step is the activity's.
    cohort_counts = {step: totals["captured" if step == "captured" else f"cohort_{step}"] for step in FUNNEL_STEPS}
    return {
        "period": {"kind": filters.kind, "label": filters.label, "start": filters.start, "end": filters.end},
        "filters": {
            "campaign": filters.campaign.pk if filters.campaign else None,
            "source": filters.source or None,
            "team": filters.team.pk if filters.team else None,
        },
        "currency": settings.ALIGNMENT_CURRENCY,
        **goal_figures(goal, won_revenue, filters, now),
        "won_revenue": won_revenue,
        "won_count": activity["won"],
        "pipeline_value": money(totals["pipeline_value"]),
        "pipeline_count": totals["pipeline_count"],
        "funnel": funnel(activity),
        "cohort_funnel": {**funnel(cohort_counts), "won_revenue": money(totals["cohort_won_revenue"])},
        "sla": sla,
        "cold": {"now": totals["cold"], "snoozed": totals["snoozed"]},
        "feedback_backlog": backlog,
        "speed_to_lead": speed_to_lead,
        "rejection_reasons": rejection_reasons,
        **lead_breakdowns(lead_figures),
        "revenue_by_week": revenue_by_week(goal, lead_figures["weeks"], filters, now),
        "generated_at": now.astimezone(UTC),
    }


def dashboard_as_json(figures):
    """The figures with money as numbers and dates as ISO strings, for the API and the charts."""
    if isinstance(figures, dict):
        return {key: dashboard_as_json(value) for key, value in figures.items()}
    if isinstance(figures, list):
        return [dashboard_as_json(value) for value in figures]
    if isinstance(figures, Decimal):
        return float(figures)
    if isinstance(figures, datetime | date):
        return figures.isoformat()
    return figures


def digest_figures(*, week: DashboardFilters, to_date: DashboardFilters, now: datetime) -> dict:
    """The dashboard's figures the weekly digest and meeting show, and only those, each computed as
    `dashboard_figures` computes it (so they never disagree): the week's wins credited to marketers
    (its `revenue_by_marketer` rows that name one) and rejection reasons; the quarter to date's won
    revenue, the open pipeline, cold leads now and the open feedback count. Not the breakdowns,
    SLA percentiles, speed to lead or the backlog's median age the digest does not show.

    Five queries: 1 the quarter's won revenue and the week's marketing wins, from the roll-up;
    2 the week's rejection reasons; 3 the open pipeline; 4 the leads cold now; 5 the open feedback.
    """
    # 1
    won = lead_won_to_date_and_marketing_wins(to_date=to_date, week=week)
    # 2
    rejection_reasons = rejection_reasons_figures(week)
    # 3
    pipeline = lead_pipeline_now(to_date)
    return {
        **won,
        "rejection_reasons": rejection_reasons,
        "pipeline_value": money(pipeline["pipeline_value"]),
        "pipeline_count": pipeline["pipeline_count"],
        # 4
        "cold": {"now": lead_cold_now(to_date, now)},
        # 5
        "feedback_backlog": {"open": feedback_backlog_open(to_date)},
    }
