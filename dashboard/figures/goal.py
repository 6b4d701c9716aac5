"""Revenue against the goal: the goal of a month or quarter, its pace, and won revenue week by week
against an even path to it. `goal_pace` is the one definition the dashboard and the digest read, and
`revenue_goal_for_scope` the one answer to "which goal applies" (the company's or a team's)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q

from alignment.days import company_today
from alignment.models import Team
from dashboard.figures.common import CENT, ZERO, money, share
from dashboard.models import GoalPeriod, RevenueGoal
from dashboard.periods import DashboardFilters, quarter_bounds


@dataclass(frozen=True)
class ScopeGoal:
    """The goal that applies to a period and a scope (the company, or one team), and where it comes from:
    `set` for this period and scope, `quarter_prorated` (a month inside a quarter with a goal: the
    quarter's share of the month's days), `team_sum` (the company without a goal of its own: the sum of
    its teams' goals, each prorated the same way when needed)."""

    amount: Decimal
    period: str
    starts_on: date
    basis: str
    team: Team | None = None
    set_by: str | None = None
    set_at: object = None
    teams: int = 0

    @property
    def text(self) -> str:
        scope = f"{self.team.name}'s goal" if self.team else "The company's goal"
        if self.basis == "quarter_prorated":
            return f"{scope}: the quarter's goal, prorated to the month's days."
        if self.basis == "team_sum":
            prorated = ", prorated to the month" if self.period == GoalPeriod.MONTH else ""
            return f"The sum of {self.teams} team goal{'s' if self.teams != 1 else ''}{prorated}."
        return f"{scope} for the {self.get_period_word()}."

    def get_period_word(self) -> str:
        return "quarter" if self.period == GoalPeriod.QUARTER else "month"


def _one_scope(rows, team_id, kind, start, end, quarter) -> tuple[Decimal, str, RevenueGoal] | None:
    """(amount, basis, row) for one scope from the current rows of the period's quarter."""
    exact = rows.get((team_id, kind, start))
    if exact is not None:
        return exact.amount, "set", exact
    if kind == GoalPeriod.MONTH:
        whole = rows.get((team_id, GoalPeriod.QUARTER, quarter[0]))
        if whole is not None:
            days = (end - start).days + 1
            quarter_days = (quarter[1] - quarter[0]).days + 1
            return (whole.amount * days / quarter_days).quantize(CENT), "quarter_prorated", whole
    return None


def revenue_goal_for_scope(*, kind: str, start: date, end: date, team: Team | None = None) -> ScopeGoal | None:
    """The goal of this month or quarter for the team, or for the whole company when `team` is None;
    a custom range has none. One query: the current goals of the quarter and of the month, every scope."""
    if kind not in (GoalPeriod.MONTH, GoalPeriod.QUARTER):
        return None
    quarter = quarter_bounds(start)
    found = RevenueGoal.objects.filter(current=True).filter(
        Q(period=GoalPeriod.QUARTER, starts_on=quarter[0]) | Q(period=GoalPeriod.MONTH, starts_on=start)
    )
    if team is not None:
        found = found.filter(team=team)
    rows = {(g.team_id, g.period, g.starts_on): g for g in found.select_related("set_by", "team")}
    scope_id = team.pk if team else None
    own = _one_scope(rows, scope_id, kind, start, end, quarter)
    if own is not None:
        amount, basis, row = own
        return ScopeGoal(
            amount=amount,
            period=kind,
            starts_on=start,
            basis=basis,
            team=team,
            set_by=row.set_by.username if row.set_by else None,
            set_at=row.set_at,
        )
    if team is not None:
        return None
    parts = [
        part
        for team_id in sorted({key[0] for key in rows if key[0] is not None})
        if (part := _one_scope(rows, team_id, kind, start, end, quarter)) is not None
    ]
    if not parts:
        return None
    latest = max((row for _, _, row in parts), key=lambda row: row.set_at)
    return ScopeGoal(
        amount=sum((amount for amount, _, _ in parts), ZERO),
        period=kind,
        starts_on=start,
        basis="team_sum",
        set_by=latest.set_by.username if latest.set_by else None,
        set_at=latest.set_at,
        teams=len(parts),
    )


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


def goal_figures(goal: ScopeGoal | None, won: Decimal, filters: DashboardFilters, now) -> dict:
    if goal is None:
        return {"goal": None, "goal_detail": None, "attainment": None, "remaining": None, "pace": None}
    pace = goal_pace(amount=goal.amount, won=won, start=filters.start, end=filters.end, today=company_today(now))
    return {
        "goal": goal.amount,
        "goal_detail": {
            "period": goal.period,
            "starts_on": goal.starts_on,
            "set_by": goal.set_by,
            "set_at": goal.set_at,
            "team": {"id": goal.team.pk, "name": goal.team.name} if goal.team else None,
            "basis": goal.basis,
            "text": goal.text,
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


def revenue_by_week(goal: ScopeGoal | None, week_rows: dict, filters: DashboardFilters, now) -> list[dict]:
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
