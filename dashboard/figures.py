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

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncWeek
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from alignment.aggregates import (
    Epoch,
    PercentileCont,
    percentile_by_group,
    percentiles_by_offset,
    uses_percentile_cont,
)
from alignment.models import User
from alignment.selectors import user_display_name_expression
from alignment.sla import sla_clock_describe, sla_elapsed_seconds, sla_settings_get
from dashboard.models import GoalPeriod, RevenueGoal
from dashboard.periods import DashboardFilters, company_tz
from dashboard.speed_curve import speed_to_lead_by_response
from feedback.models import FeedbackItem, FeedbackStatus
from leads.models import OPEN_STATUSES, ColdEpisode, Handoff, HandoffOutcome, Lead, LeadDay, Source
from leads.rollup import COLUMNS as ROLLUP_COLUMNS
from leads.rollup import STEP_DATES

ZERO = Decimal("0.00")
FUNNEL_STEPS = tuple(STEP_DATES)  # captured → handed off → accepted → qualified → won


# --- SQL helpers -----------------------------------------------------------------------------


def _lead_filter(filters: DashboardFilters, prefix: str = "", *, owner="owner", captured_by="captured_by") -> Q:
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


def _in(field_name: str, filters: DashboardFilters) -> Q:
    return Q(**{f"{field_name}__gte": filters.start_at, f"{field_name}__lt": filters.end_at})


def _share(part, whole):
    return round(float(part) / float(whole), 4) if whole else None


def _money(value) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.01"))


# --- the figures -------------------------------------------------------------------------------

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


def speed_to_lead_figures(filters: DashboardFilters, on_pg: bool) -> dict:
    """How fast reps answer the handoffs made in the period, overall and by rep, and the verdicts by
    the time to answer (`by_response`). On PostgreSQL three queries (the SLA settings, the figures,
    the curve); elsewhere seven."""
    policy = sla_settings_get()
    seconds = sla_elapsed_seconds(start=F("created_at"), end=F("ended_at"), policy=policy)
    answered = Handoff.objects.filter(
        _lead_filter(filters, "lead__"),
        _in("created_at", filters),
        to_rep__isnull=False,
        outcome__in=[HandoffOutcome.ACCEPTED, HandoffOutcome.REJECTED],
    )
    if on_pg:
        overall, reps = _speed_rows_postgresql(answered, seconds)
    else:
        aggregates = {
            "answered": Count("id"),
            "within_5_minutes": Count("id", filter=LessThanOrEqual(seconds, FIVE_MINUTES)),
            "within_1_hour": Count("id", filter=LessThanOrEqual(seconds, ONE_HOUR)),
        }
        overall = answered.aggregate(**aggregates)
        reps = list(
            answered.values("to_rep")
            .annotate(name=user_display_name_expression("to_rep__"), **aggregates)
            .order_by("name", "to_rep")
        )
        fractions = {"p50": 0.5, "p90": 0.9}
        overall.update(
            zip(
                fractions,
                percentiles_by_offset(answered, seconds, fractions.values(), overall["answered"]),
                strict=True,
            )
        )
        for name, fraction in fractions.items():
            by_rep = percentile_by_group(answered, seconds, fraction, group="to_rep")
            for row in reps:
                row[name] = by_rep.get(row["to_rep"])

    def figures(row):
        return {
            "p50_seconds": _round(row["p50"]),
            "p90_seconds": _round(row["p90"]),
            "within_5_minutes": _share(row["within_5_minutes"], row["answered"]),
            "within_1_hour": _share(row["within_1_hour"], row["answered"]),
            "answered": row["answered"],
        }

    return {
        **figures(overall),
        "by_response": speed_to_lead_by_response(answered, seconds),
        "clock": sla_clock_describe(policy),
        "by_rep": [{"rep": {"id": row["to_rep"], "name": row["name"]}, **figures(row)} for row in reps],
    }


def revenue_goal_for_period(*, start: date, end: date, kind: str) -> RevenueGoal | None:
    """The current goal of exactly this month or quarter; a custom range has none."""
    if kind not in (GoalPeriod.MONTH, GoalPeriod.QUARTER):
        return None
    return RevenueGoal.objects.filter(period=kind, starts_on=start, current=True).select_related("set_by").first()


def _goal_figures(goal, won, filters, now):
    if goal is None:
        return {"goal": None, "goal_detail": None, "attainment": None, "remaining": None, "pace": None}
    amount = goal.amount
    remaining = max(amount - won, ZERO)
    today = timezone.localdate(now, timezone=company_tz())
    total_days = (filters.end - filters.start).days + 1
    if today < filters.start:
        elapsed_days = 0
    elif today > filters.end:
        elapsed_days = total_days
    else:
        elapsed_days = (today - filters.start).days  # whole days before today
    days_left = total_days - elapsed_days
    weeks_left = Decimal(days_left) / 7
    return {
        "goal": amount,
        "goal_detail": {
            "period": goal.period,
            "starts_on": goal.starts_on,
            "set_by": goal.set_by.username if goal.set_by else None,
            "set_at": goal.set_at,
        },
        "attainment": _share(won, amount),
        "remaining": remaining,
        "pace": {
            "days_left": days_left,
            # What the rest of the period must bring in each week to meet the goal.
            "needed_per_week": (remaining / weeks_left).quantize(Decimal("0.01")) if days_left else None,
            # Where we would be today if revenue came in evenly over the period.
            "expected_to_date": (amount * elapsed_days / total_days).quantize(Decimal("0.01")),
        },
    }


def _funnel(counts: dict) -> dict:
    steps = []
    previous = None
    for step in FUNNEL_STEPS:
        n = counts[step]
        steps.append(
            {
                "step": step,
                "count": n,
                "conversion": _share(n, previous) if previous is not None else None,
                "drop_off": max(previous - n, 0) if previous is not None else None,
            }
        )
        previous = n
    return {**counts, "steps": steps}


def _lead_figures_now(filters: DashboardFilters, now: datetime) -> dict:
    """What is true now, whatever the period: the open pipeline, snoozed leads, cold leads. Two queries."""
    # COUNT(*), not COUNT(id): naming only the index's own columns lets PostgreSQL answer
    # from the `lead_open_pipeline` index alone (an index-only scan), without reading the leads.
    open_leads = Lead.objects.filter(
        _lead_filter(filters), status__in=OPEN_STATUSES, merged_into__isnull=True
    ).aggregate(
        pipeline_value=Sum("estimated_value"),
        pipeline_count=Count("*"),
        snoozed=Count("snoozed_until", filter=Q(snoozed_until__gt=now)),
    )
    # The lead's snooze is looked up per open episode (a scalar subquery, by primary key): open
    # episodes are few, and a join would make PostgreSQL read every lead to find them.
    lead_snoozed_until = Subquery(Lead.objects.filter(pk=OuterRef("lead_id")).order_by().values("snoozed_until")[:1])
    cold = (
        ColdEpisode.objects.filter(_lead_filter(filters, "lead__"), closed_at__isnull=True)
        .annotate(lead_snoozed_until=lead_snoozed_until)
        .filter(Q(lead_snoozed_until__isnull=True) | Q(lead_snoozed_until__lte=now))
        .aggregate(cold=Count("id"))
    )
    return {**open_leads, **cold}


def _lead_figures_of_period(filters: DashboardFilters) -> dict:
    """The period's lead figures, summed from the daily roll-up (`LeadDay`) rather than read from
    the leads: a few rows per day, however many leads there are. Six queries."""
    days = LeadDay.objects.filter(
        _lead_filter(filters, owner="rep", captured_by="marketer"), day__gte=filters.start, day__lte=filters.end
    )
    # 1: the totals of the period, both funnels included.
    totals = {column: value or 0 for column, value in days.aggregate(**{c: Sum(c) for c in ROLLUP_COLUMNS}).items()}
    # Named apart from the roll-up's own columns, so a filter on them reads the sums, not the rows.
    won = {"revenue": Sum("won_revenue"), "leads_won": Sum("won")}
    # 2: per campaign, revenue and verdicts together.
    campaigns = list(
        days.values("campaign_id", "campaign__name")
        .annotate(**won, good_verdicts=Sum("good"), bad_verdicts=Sum("bad"))
        .order_by("campaign__name", "campaign_id")
    )

    def breakdown(column, people=False):
        rows = days.values(column).annotate(**won).filter(leads_won__gt=0)
        if people:
            names = User.objects.filter(pk=OuterRef(column)).annotate(name=user_display_name_expression())
            rows = rows.annotate(name=Subquery(names.values("name")))
        return [
            {"key": r[column] or None, "name": r.get("name"), "revenue": r["revenue"], "won": r["leads_won"]}
            # Nobody (0) last among equals, as the leads' NULL owners used to sort.
            for r in sorted(rows, key=lambda r: (-r["revenue"], not r[column], r[column]))
        ]

    return {
        "totals": totals,
        "quality": [
            {
                "campaign_id": r["campaign_id"],
                "campaign": r["campaign__name"],
                "good": r["good_verdicts"],
                "bad": r["bad_verdicts"],
            }
            for r in campaigns
            if r["good_verdicts"] or r["bad_verdicts"]
        ],
        "breakdowns": {
            "campaign": [
                {"key": r["campaign_id"], "name": r["campaign__name"], "revenue": r["revenue"], "won": r["leads_won"]}
                for r in sorted(campaigns, key=lambda r: (-r["revenue"], r["campaign_id"]))
                if r["leads_won"]
            ],
            "source": breakdown("source"),  # 3
            "marketer": breakdown("marketer", people=True),  # 4
            "rep": breakdown("rep", people=True),  # 5
        },
        # 6: won revenue week by week (weeks start on Monday).
        "weeks": {
            row["week"]: row["revenue"]
            for row in days.filter(won__gt=0)
            .annotate(week=TruncWeek("day"))
            .values("week")
            .annotate(revenue=Sum("won_revenue"))
            .order_by()
        },
    }


def dashboard_figures(*, filters: DashboardFilters, now: datetime | None = None) -> dict:
    """Every figure of the dashboard for the filters; a fixed number of queries.

    On PostgreSQL, fifteen: 1 the goal; 2–7 the period's lead figures from the roll-up (totals and
    both funnels; revenue and quality by campaign; revenue by source, marketer, rep and week);
    8 the open pipeline and snoozed leads, 9 cold leads, 10 handoffs (SLA, percentiles),
    11 rejection reasons, 12–13 the feedback backlog (its count; its middle items in index order),
    14–15 speed to lead (the SLA clock's settings; the totals and by rep).
    Elsewhere (SQLite) the percentiles take ordered queries: still a fixed number.
    """
    now = now or timezone.now()
    on_pg = uses_percentile_cont()

    # 1
    goal = revenue_goal_for_period(start=filters.start, end=filters.end, kind=filters.kind)
    # 2–7
    lead_figures = _lead_figures_of_period(filters)
    # 8, 9
    totals = {**lead_figures["totals"], **_lead_figures_now(filters, now)}
    won_revenue = _money(totals["won_revenue"])

    # 10: SLA attainment and time to accept.
    handoffs = Handoff.objects.filter(_lead_filter(filters, "lead__"))
    decided = Q(outcome__in=[HandoffOutcome.ACCEPTED, HandoffOutcome.REJECTED]) & _in("ended_at", filters)
    # Not answered by the rep: counted once its deadline has passed inside the period, unless it was
    # reassigned before the deadline (then it was never the rep's to miss).
    missed = (
        Q(outcome__in=[HandoffOutcome.OPEN, HandoffOutcome.EXPIRED])
        | Q(outcome=HandoffOutcome.REASSIGNED, ended_at__gt=F("sla_due_at"))
    ) & Q(sla_due_at__gte=filters.start_at, sla_due_at__lt=min(filters.end_at, now))
    accepted = Q(outcome=HandoffOutcome.ACCEPTED) & _in("ended_at", filters)
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
    sla = handoffs.filter(_in("ended_at", filters) | _in("sla_due_at", filters)).aggregate(**sla_aggregates)
    if on_pg:
        p50, p95 = sla["p50"], sla["p95"]
    else:
        p50, p95 = (
            value.total_seconds() if value is not None else None
            for value in percentiles_by_offset(handoffs.filter(accepted), wait, (0.5, 0.95), sla["accepted"])
        )

    # 11: rejection reasons, most frequent first, with the cumulative share (Pareto).
    reason_rows = list(
        handoffs.filter(_in("ended_at", filters), outcome=HandoffOutcome.REJECTED)
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
                "share": _share(row["count"], rejected_total),
                "cumulative_share": _share(cumulative, rejected_total),
            }
        )

    # 12: the feedback backlog now, and how long its items have waited.
    # The count, then the one or two middle items read in the (status, created_at) index's order:
    # count(*), not count(id), is answered by the index alone, and so is the offset, where a
    # percentile_cont sorted every open item.
    items = FeedbackItem.objects.filter(_lead_filter(filters, "lead__"), status=FeedbackStatus.OPEN)
    backlog = items.aggregate(open=Count("*"))
    (median_created,) = percentiles_by_offset(items, F("created_at"), (0.5,), backlog["open"])
    median_age = (now - median_created).total_seconds() if median_created is not None else None

    # 13, 14: how fast reps answer handoffs.
    speed_to_lead = speed_to_lead_figures(filters, on_pg)

    quality = [
        {
            "campaign_id": row["campaign_id"],
            "campaign": row["campaign"],
            "good": row["good"],
            "bad": row["bad"],
            "good_share": _share(row["good"], row["good"] + row["bad"]),
            "bad_share": _share(row["bad"], row["good"] + row["bad"]),
        }
        for row in lead_figures["quality"]
    ]
    breakdowns = lead_figures["breakdowns"]
    by_campaign = [
        {"campaign_id": r["key"], "campaign": r["name"], "revenue": _money(r["revenue"]), "won": r["won"]}
        for r in breakdowns["campaign"]
    ]
    source_labels = dict(Source.choices)
    by_source = [
        {
            "source": r["key"],
            "label": source_labels.get(r["key"], r["key"]),
            "revenue": _money(r["revenue"]),
            "won": r["won"],
        }
        for r in breakdowns["source"]
    ]
    by_marketer = [
        {"user_id": r["key"], "name": r["name"] or "(nobody)", "revenue": _money(r["revenue"]), "won": r["won"]}
        for r in breakdowns["marketer"]
    ]
    by_rep = [
        {"user_id": r["key"], "name": r["name"] or "(nobody)", "revenue": _money(r["revenue"]), "won": r["won"]}
        for r in breakdowns["rep"]
    ]
    week_rows = lead_figures["weeks"]

    # Won revenue week by week, against an even path to the goal.
    by_week = []
    today = timezone.localdate(now, timezone=company_tz())
    monday = filters.start - timedelta(days=filters.start.weekday())
    running = ZERO
    total_days = (filters.end - filters.start).days + 1
    while monday <= filters.end:
        revenue = _money(week_rows.get(monday))
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
        **_goal_figures(goal, won_revenue, filters, now),
        "won_revenue": won_revenue,
        "won_count": activity["won"],
        "pipeline_value": _money(totals["pipeline_value"]),
        "pipeline_count": totals["pipeline_count"],
        "funnel": _funnel(activity),
        "cohort_funnel": {**_funnel(cohort_counts), "won_revenue": _money(totals["cohort_won_revenue"])},
        "sla": {
            "due": sla["due"],
            "accepted_in_time": sla["in_time"],
            "attainment": _share(sla["in_time"], sla["due"]),
            "accepted": sla["accepted"],
            "median_seconds_to_accept": _round(p50),
            "p95_seconds_to_accept": _round(p95),
        },
        "cold": {"now": totals["cold"], "snoozed": totals["snoozed"]},
        "feedback_backlog": {"open": backlog["open"], "median_age_seconds": _round(median_age)},
        "speed_to_lead": speed_to_lead,
        "quality_by_campaign": quality,
        "rejection_reasons": rejection_reasons,
        "revenue_by_campaign": by_campaign,
        "revenue_by_source": by_source,
        "revenue_by_marketer": by_marketer,
        "revenue_by_rep": by_rep,
        "revenue_by_week": by_week,
        "generated_at": now.astimezone(UTC),
    }


def _round(seconds):
    return round(seconds, 1) if seconds is not None else None


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
