"""What every section of the dashboard's figures shares: the filters as SQL conditions, shares,
money and seconds as the figures show them."""

from decimal import Decimal

from django.db.models import Q

from alignment.models import User
from dashboard.periods import DashboardFilters

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def lead_filter(filters: DashboardFilters, prefix: str = "", *, owner="owner", captured_by="captured_by") -> Q:
    """The campaign, source and team filters on leads, reached through `prefix` from another model
    (or on the daily roll-up, whose rows name the owner `rep` and the capturer `marketer`).

    A team's leads are those owned by one of its members or captured by one: marketing and sales
    teams each see the leads they had a hand in.
    """
    q = Q()
    if filters.campaign:
        q &= Q(**{f"{prefix}campaign": filters.campaign})
    if filters.source:
        q &= Q(**{f"{prefix}source": filters.source})
    if filters.team:
        members = User.objects.filter(team=filters.team).values("pk")
        q &= Q(**{f"{prefix}{owner}__in": members}) | Q(**{f"{prefix}{captured_by}__in": members})
    return q


def in_period(field_name: str, filters: DashboardFilters) -> Q:
    return Q(**{f"{field_name}__gte": filters.start_at, f"{field_name}__lt": filters.end_at})


def share(part, whole):
    return round(float(part) / float(whole), 4) if whole else None


def money(value) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"))


def seconds_rounded(seconds):
    return round(seconds, 1) if seconds is not None else None
