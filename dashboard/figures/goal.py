"""Revenue against the goal: the goal of a month or quarter, its pace, and won revenue week by week
against an even path to it. `goal_pace` is the one definition the dashboard and the digest read."""

from datetime import date, timedelta
from decimal import Decimal

from alignment.days import company_today
from dashboard.figures.common import CENT, ZERO, money, share
from dashboard.models import GoalPeriod, RevenueGoal
from dashboard.periods import DashboardFilters


def revenue_goal_for_period(*, start: date, end: date, kind: str) -> RevenueGoal | None:
    """The current goal of exactly this month or quarter; a custom range has none."""
    if kind not in (GoalPeriod.MONTH, GoalPeriod.QUARTER):
        return None
    return RevenueGoal.objects.filter(period=kind, starts_on=start, current=True).select_related("set_by").first()


def goal_pace(*, amount: Decimal, won: Decimal, start: date, end: date, today: date) -> dict:
    """How a goal of `amount` for the days `start`–`end` (both included) stands with `won` won, on
    the morning of `today`: the share reached, what remains, the days left (today's included), what
    each of the weeks left must bring in, and where an even path would be by now."""
    remaining = max(amount - won, ZERO)
    total_days = (end - start).days + 1
    elapsed_days = min(max((today - start).days, 0), total_days)  # whole days before today
    days_left = total_days - elapsed_days
    return {
        "attainment": share(won, amount),
        "remaining": remaining,
        "days_left": days_left,
        "needed_per_week": (remaining * 7 / days_left).quantize(CENT) if days_left else None,
        "expected_to_date": (amount * elapsed_days / total_days).quantize(CENT),
    }


def goal_figures(goal: RevenueGoal | None, won: Decimal, filters: DashboardFilters, now) -> dict:
    if goal is None:
        return {"goal": None, "goal_detail": None, "attainment": None, "remaining": None, "pace": None}
    pace = goal_pace(amount=goal.amount, won=won, start=filters.start, end=filters.end, today=company_today(now))
    return {
        "goal": goal.amount,
        "goal_detail": {
            "period": goal.period,
            "starts_on": goal.starts_on,
            "set_by": goal.set_by.username if goal.set_by else None,
            "set_at": goal.set_at,
        },
        "attainment": pace["attainment"],
        "remaining": pace["remaining"],
        "pace": {
            "days_left": pace["days_left"],
            # What the rest of the period must bring in each week to meet the goal.
            "needed_per_week": pace["needed_per_week"],
            # Where we would be today if revenue came in evenly over the period.
            "expected_to_date": pace["expected_to_date"],
        },
    }


def revenue_by_week(goal: RevenueGoal | None, week_rows: dict, filters: DashboardFilters, now) -> list[dict]:
    """Won revenue week by week (weeks start on Monday), against an even path to the goal."""
    by_week = []
    today = company_today(now)
    monday = filters.start - timedelta(days=filters.start.weekday())
    running = ZERO
    total_days = (filters.end - filters.start).days + 1
    while monday <= filters.end:
        revenue = money(week_rows.get(monday))
        running += revenue
        week_end = min(monday + timedelta(days=6), filters.end)
        goal_line = (
            (goal.amount * ((week_end - filters.start).days + 1) / total_days).quantize(Decimal("0.01"))
            if goal
            else None
        )
        by_week.append(
            {
                "week": monday,
                "revenue": revenue,
                # Nothing is won in weeks still to come: the line stops at this week.
                "cumulative": running if monday <= today else None,
                "goal_to_date": goal_line,
            }
        )
        monday += timedelta(days=7)
    return by_week
