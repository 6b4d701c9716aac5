"""The feedback figure: the open backlog now (`feedback.selectors.feedback_backlog`, the digest's
too), and how long its items have waited."""

from django.db.models import Count, F

from alignment.aggregates import percentiles_by_offset
from dashboard.figures.common import lead_filter, seconds_rounded
from dashboard.periods import DashboardFilters
from feedback.selectors import feedback_backlog


def feedback_backlog_open(filters: DashboardFilters) -> int:
    """How many items on the filters' leads are open now. One query: count(*), not count(id), is
    answered by the (status, created_at) index alone."""
    return _backlog(filters).aggregate(open=Count("*"))["open"]


def feedback_backlog_figures(filters: DashboardFilters, now) -> dict:
    """The open items on the filters' leads and their median age. Two queries: the count, then the
    one or two middle items read in the (status, created_at) index's order, where a
    percentile_cont sorted every open item."""
    items = _backlog(filters)
    open_count = feedback_backlog_open(filters)
    (median_created,) = percentiles_by_offset(items, F("created_at"), (0.5,), open_count)
    median_age = (now - median_created).total_seconds() if median_created is not None else None
    return {"open": open_count, "median_age_seconds": seconds_rounded(median_age)}


def _backlog(filters: DashboardFilters):
    return feedback_backlog().filter(lead_filter(filters, "lead__"))
