"""Percentiles (the median among them) with one definition on every database.

PostgreSQL's `percentile_cont(p)`: the value at position p·(n−1) of the sorted values, interpolated
linearly between its two neighbours. PostgreSQL computes it itself; elsewhere (SQLite, the embedded
default) the same value is read with ordered queries, so a median is a median everywhere, never a
mean.
"""

import math

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, IntegerField, Value, Window
from django.db.models.functions import Cast, RowNumber


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(p) WITHIN GROUP (ORDER BY expr)` (linear interpolation).

    Its type is the expression's: seconds stay a number, an interval stays a duration."""

    function = "percentile_cont"
    name = "PercentileCont"

    def __init__(self, expression, fraction, **extra):
        # A literal, not a parameter: it is always one of our own constants.
        self.template = f"%(function)s({float(fraction)!r}) WITHIN GROUP (ORDER BY %(expressions)s)"
        super().__init__(expression, **extra)


class Epoch(Func):
    """Seconds since 1970 of a timestamp, or the seconds of an interval (PostgreSQL)."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


def uses_percentile_cont() -> bool:
    return connection.vendor == "postgresql"


def _interpolate(values, position):
    """The value at `position` (0-based, fractional) of a sorted run starting at floor(position)."""
    lower = values[0]
    upper = values[1] if len(values) > 1 else lower
    return lower + (upper - lower) * (position - math.floor(position))


def percentiles_by_offset(queryset, expression, fractions, count) -> list:
    """percentile_cont of `expression` over the `count` rows of `queryset`, one ordered OFFSET query
    per fraction, for databases without it; None for each fraction when there are no rows."""
    results = []
    ordered = queryset.annotate(_value=expression).order_by("_value").values_list("_value", flat=True)
    for fraction in fractions:
        if not count:
            results.append(None)
            continue
        position = fraction * (count - 1)
        low = math.floor(position)
        results.append(_interpolate(list(ordered[low : low + 2]), position))
    return results


def percentile_by_group(queryset, expression, fraction, *, group: str) -> dict:
    """`{group value: percentile_cont(fraction) of expression}` over the rows of `queryset`, in one
    query on every database; rows where the expression is NULL are left out, as PostgreSQL does.

    Elsewhere the rows are numbered within their group (window functions) and only the one or two
    around the percentile's position are read.
    """
    queryset = queryset.annotate(_value=expression).filter(_value__isnull=False)
    if uses_percentile_cont():
        rows = queryset.values(group).annotate(_percentile=PercentileCont("_value", fraction)).order_by()
        return {row[group]: row["_percentile"] for row in rows}
    rows = (
        queryset.annotate(
            _rank=Window(RowNumber(), partition_by=[F(group)], order_by=[F("_value").asc()]),
            _count=Window(Count("*"), partition_by=[F(group)]),
        )
        # Position p·(n−1) counts from 0 and ranks from 1: keep ranks low+1 and low+2.
        .annotate(_low=Cast(Value(float(fraction)) * (F("_count") - 1), IntegerField()))
        .filter(_rank__gt=F("_low"), _rank__lte=F("_low") + 2)
        .order_by(group, "_rank")
        .values_list(group, "_value", "_count")
    )
    runs: dict = {}
    counts: dict = {}
    for key, value, count in rows:
        runs.setdefault(key, []).append(value)
        counts[key] = count
    return {key: _interpolate(values, fraction * (counts[key] - 1)) for key, values in runs.items()}
