"""The handoff figures: SLA attainment and time to accept, rejection reasons, speed to lead."""

import math

from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q

from alignment.aggregates import Epoch, PercentileCont, _interpolate, percentiles_by_offset
from alignment.models import User
from alignment.selectors import user_display_name_expression
from alignment.sla import sla_clock_describe, sla_elapsed_seconds, sla_settings_get
from dashboard.figures.common import in_period, lead_filter, seconds_rounded, share
from dashboard.figures.speed_curve import speed_to_lead_by_response
from dashboard.periods import DashboardFilters
from leads.models import Handoff, HandoffOutcome


def sla_figures(filters: DashboardFilters, now, on_pg: bool) -> dict:
    """SLA attainment and time to accept: of the handoffs decided in the period, or due in it and
    not decided in time, the share accepted by their deadline. One query on PostgreSQL; elsewhere
    the percentiles take ordered queries."""
    handoffs = Handoff.objects.filter(lead_filter(filters, "lead__"))
    decided = Q(outcome__in=[HandoffOutcome.ACCEPTED, HandoffOutcome.REJECTED]) & in_period("ended_at", filters)
    # Not answered by the rep: counted once its deadline has passed inside the period, unless it was
    # reassigned before the deadline (then it was never the rep's to miss).
    missed = (
        Q(outcome__in=[HandoffOutcome.OPEN, HandoffOutcome.EXPIRED])
        | Q(outcome=HandoffOutcome.REASSIGNED, ended_at__gt=F("sla_due_at"))
    ) & Q(sla_due_at__gte=filters.start_at, sla_due_at__lt=min(filters.end_at, now))
    accepted = Q(outcome=HandoffOutcome.ACCEPTED) & in_period("ended_at", filters)
    sla_aggregates = {
        "due": Count("id", filter=decided | missed),
        "in_time": Count("id", filter=accepted & Q(ended_at__lte=F("sla_due_at"))),
        "accepted": Count("id", filter=accepted),
    }
    wait = ExpressionWrapper(F("ended_at") - F("created_at"), output_field=DurationField())
    if on_pg:
        sla_aggregates["p50"] = PercentileCont(Epoch(wait), 0.5, filter=accepted)
        sla_aggregates["p95"] = PercentileCont(Epoch(wait), 0.95, filter=accepted)
    # Every counted handoff ended or fell due in the period: saying so lets indexes on those dates serve it.
    sla = handoffs.filter(in_period("ended_at", filters) | in_period("sla_due_at", filters)).aggregate(**sla_aggregates)
    if on_pg:
        p50, p95 = sla["p50"], sla["p95"]
    else:
        p50, p95 = (
            value.total_seconds() if value is not None else None
            for value in percentiles_by_offset(handoffs.filter(accepted), wait, (0.5, 0.95), sla["accepted"])
        )
    return {
        "due": sla["due"],
        "accepted_in_time": sla["in_time"],
        "attainment": share(sla["in_time"], sla["due"]),
        "accepted": sla["accepted"],
        "median_seconds_to_accept": seconds_rounded(p50),
        "p95_seconds_to_accept": seconds_rounded(p95),
    }


def rejection_reasons_figures(filters: DashboardFilters) -> list[dict]:
    """The period's rejection reasons, most frequent first, with the cumulative share (Pareto). One
    query."""
    handoffs = Handoff.objects.filter(lead_filter(filters, "lead__"))
    reason_rows = list(
        handoffs.filter(in_period("ended_at", filters), outcome=HandoffOutcome.REJECTED)
        .values("reject_reason__code", "reject_reason__label")
        .annotate(count=Count("id"))
        .order_by("-count", "reject_reason__label")
    )
    rejected_total = sum(row["count"] for row in reason_rows)
    rejection_reasons = []
    cumulative = 0
    for row in reason_rows:
        cumulative += row["count"]
        rejection_reasons.append(
            {
                "code": row["reject_reason__code"] or "",
                "label": row["reject_reason__label"] or "No reason given",
                "count": row["count"],
                "share": share(row["count"], rejected_total),
                "cumulative_share": share(cumulative, rejected_total),
            }
        )
    return rejection_reasons


FIVE_MINUTES, ONE_HOUR = 5 * 60, 60 * 60


def _speed_rows_postgresql(answered, seconds) -> tuple[dict, list]:
    """The totals and each rep's figures in one query, each handoff's seconds computed once: the
    handoffs' reps and seconds as a derived table (nothing else, unordered: a period's handoffs are
    sorted only by the percentiles), aggregated by rep and overall (ROLLUP), then named from the
    users. The ORM would compute the seconds again for every aggregate, and the business-hours
    clock is arithmetic worth computing once."""
    inner = answered.annotate(_seconds=seconds).order_by().values("to_rep", "_seconds")
    sql, params = inner.query.sql_with_params()
    names = User.objects.annotate(_name=user_display_name_expression()).order_by().values("id", "_name")
    names_sql, names_params = names.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT figures.*, person.name FROM (SELECT rep, count(*), count(*) FILTER (WHERE s <= %s),"
            " count(*) FILTER (WHERE s <= %s),"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY s), percentile_cont(0.9) WITHIN GROUP (ORDER BY s)"
            f" FROM ({sql}) AS handoff (rep, s) GROUP BY ROLLUP (rep)) AS figures"
            f" LEFT JOIN ({names_sql}) AS person (id, name) ON person.id = figures.rep"
            " ORDER BY person.name, figures.rep",
            (FIVE_MINUTES, ONE_HOUR, *params, *names_params),
        )
        rows = [
            dict(
                zip(("to_rep", "answered", "within_5_minutes", "within_1_hour", "p50", "p90", "name"), row, strict=True)
            )
            for row in cursor.fetchall()
        ]
    # Every answered handoff has a rep: the row without one is the total (present even when empty).
    overall = next(row for row in rows if row["to_rep"] is None)
    return overall, [row for row in rows if row["to_rep"] is not None]


def _percentile(ordered: list, fraction: float):
    """percentile_cont over an already sorted list, as PostgreSQL computes it; None when empty."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    return _interpolate(ordered[math.floor(position) :], position)


def _speed_rows_elsewhere(answered, seconds) -> tuple[dict, list]:
    """The same rows as on PostgreSQL, from one query reading each handoff's rep and seconds once.

    SQLite computes the SLA clock's arithmetic through Python functions, row by row and again for
    every aggregate and every ordered percentile query: seven passes over the period's handoffs made
    most of a period switch's time on the demo. One pass, counted here, gives the same figures."""
    rows = answered.annotate(_seconds=seconds, _name=user_display_name_expression("to_rep__")).order_by()
    by_rep, names = {}, {}
    for rep, name, value in rows.values_list("to_rep", "_name", "_seconds"):
        by_rep.setdefault(rep, []).append(value)
        names[rep] = name

    def figures(values):
        ordered = sorted(v for v in values if v is not None)
        return {
            "answered": len(values),
            "within_5_minutes": sum(1 for v in ordered if v <= FIVE_MINUTES),
            "within_1_hour": sum(1 for v in ordered if v <= ONE_HOUR),
            "p50": _percentile(ordered, 0.5),
            "p90": _percentile(ordered, 0.9),
        }

    overall = figures([value for values in by_rep.values() for value in values])
    reps = [{"to_rep": rep, "name": names[rep], **figures(values)} for rep, values in by_rep.items()]
    reps.sort(key=lambda row: (row["name"], row["to_rep"]))
    return overall, reps


def speed_to_lead_figures(filters: DashboardFilters, on_pg: bool) -> dict:
    """How fast reps answer the handoffs made in the period, overall and by rep, and the verdicts by
    the time to answer (`by_response`). On PostgreSQL three queries (the SLA settings, the figures,
    the curve); elsewhere three too (the figures from one pass over the period's handoffs)."""
    policy = sla_settings_get()
    seconds = sla_elapsed_seconds(start=F("created_at"), end=F("ended_at"), policy=policy)
    answered = Handoff.objects.filter(
        lead_filter(filters, "lead__"),
        in_period("created_at", filters),
        to_rep__isnull=False,
        outcome__in=[HandoffOutcome.ACCEPTED, HandoffOutcome.REJECTED],
    )
    if on_pg:
        overall, reps = _speed_rows_postgresql(answered, seconds)
    else:
        overall, reps = _speed_rows_elsewhere(answered, seconds)

    def figures(row):
        return {
            "p50_seconds": seconds_rounded(row["p50"]),
            "p90_seconds": seconds_rounded(row["p90"]),
            "within_5_minutes": share(row["within_5_minutes"], row["answered"]),
            "within_1_hour": share(row["within_1_hour"], row["answered"]),
            "answered": row["answered"],
        }

    return {
        **figures(overall),
        "by_response": speed_to_lead_by_response(answered, seconds),
        "clock": sla_clock_describe(policy),
        "by_rep": [{"rep": {"id": row["to_rep"], "name": row["name"]}, **figures(row)} for row in reps],
    }
