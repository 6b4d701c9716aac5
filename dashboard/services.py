"""Revenue goals: managers set one per month or quarter, for the company or for a team; every change is kept."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from alignment.audit import audit_record
from alignment.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from alignment.models import AuditArea, Role, Team, User
from dashboard.models import GoalPeriod, RevenueGoal
from dashboard.periods import month_bounds, quarter_bounds


@transaction.atomic
def revenue_goal_set(
    *, period: str, starts_on: date, amount, by: User, note: str = "", team: Team | None = None
) -> RevenueGoal:
    """Set the goal of the month or quarter containing `starts_on`, for `team` (None: the whole company).

    The previous goal of that period stops being current but stays, so the dashboard can show who
    changed the target and when; the row lock makes two managers saving at once queue up.
    """
    if by.role != Role.MANAGER:
        raise NotAllowed("Only a manager sets the revenue goal.")
    errors = {}
    if period not in GoalPeriod.values:
        errors["period"] = ["Choose month or quarter."]
    try:
        amount = Decimal(str(amount)).quantize(Decimal("0.01"))
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["amount"] = ["Enter an amount of zero or more."]
    if not isinstance(starts_on, date):
        errors["starts_on"] = ["Enter a date as YYYY-MM-DD."]
    if errors:
        raise InvalidInput("The goal could not be saved.", fields=errors)
    bounds = quarter_bounds if period == GoalPeriod.QUARTER else month_bounds
    starts_on = bounds(starts_on)[0]
    previous = list(
        RevenueGoal.objects.select_for_update().filter(period=period, starts_on=starts_on, team=team, current=True)
    )
    RevenueGoal.objects.filter(pk__in=[g.pk for g in previous]).update(current=False)
    try:
        with transaction.atomic():
            goal = RevenueGoal.objects.create(
                period=period,
                starts_on=starts_on,
                amount=amount,
                note=(note or "").strip(),
                set_by=by,
                set_at=timezone.now(),
                team=team,
            )
    except IntegrityError as error:
        raise TransitionNotAllowed("Another manager set this goal at the same moment: reload and check it.") from error
    was = format(previous[0].amount, "f") if previous else None
    audit_record(
        actor=by,
        area=AuditArea.GOAL,
        action="changed" if previous else "created",
        target=f"{goal.get_period_display()} from {starts_on.isoformat()}" + (f", team {team.name}" if team else ""),
        changes={"amount": [was, format(amount, "f")]},
    )
    return goal


def revenue_goal_history(*, limit: int = 50):
    return RevenueGoal.objects.select_related("set_by", "team").order_by("-set_at", "-id")[:limit]
