"""The lead figures: the period's, summed from the daily roll-up (revenue, both funnels, the
breakdowns, quality), and what is true now (the open pipeline, snoozed and cold leads)."""

from datetime import datetime

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncWeek

from alignment.models import Role, User
from alignment.selectors import user_display_name_expression
from dashboard.figures.common import lead_filter, money, share
from dashboard.periods import DashboardFilters
from leads.models import OPEN_STATUSES, ColdEpisode, Lead, LeadDay, Source
from leads.rollup import COLUMNS as ROLLUP_COLUMNS
from leads.rollup import STEP_DATES

FUNNEL_STEPS = tuple(STEP_DATES)  # captured → handed off → accepted → qualified → won


def funnel(counts: dict) -> dict:
    steps = []
    previous = None
    for step in FUNNEL_STEPS:
        n = counts[step]
        steps.append(
            {
                "step": step,
                "count": n,
                "conversion": share(n, previous) if previous is not None else None,
                "drop_off": max(previous - n, 0) if previous is not None else None,
            }
        )
        previous = n
    return {**counts, "steps": steps}


def _open_leads(filters: DashboardFilters):
    return Lead.objects.filter(lead_filter(filters), status__in=OPEN_STATUSES, merged_into__isnull=True)


# COUNT(*), not COUNT(id): naming only the index's own columns lets PostgreSQL answer
# from the `lead_open_pipeline` index alone (an index-only scan), without reading the leads.
PIPELINE = {"pipeline_value": Sum("estimated_value"), "pipeline_count": Count("*")}


def lead_pipeline_now(filters: DashboardFilters) -> dict:
    """The open pipeline now, whatever the period: the open leads' value and count. One query."""
    return _open_leads(filters).aggregate(**PIPELINE)


def lead_cold_now(filters: DashboardFilters, now: datetime) -> int:
    """The leads cold now: open cold episodes of leads not snoozed. One query."""
    # The lead's snooze is looked up per open episode (a scalar subquery, by primary key): open
    # episodes are few, and a join would make PostgreSQL read every lead to find them.
    lead_snoozed_until = Subquery(Lead.objects.filter(pk=OuterRef("lead_id")).order_by().values("snoozed_until")[:1])
    return (
        ColdEpisode.objects.filter(lead_filter(filters, "lead__"), closed_at__isnull=True)
        .annotate(lead_snoozed_until=lead_snoozed_until)
        .filter(Q(lead_snoozed_until__isnull=True) | Q(lead_snoozed_until__lte=now))
        .aggregate(cold=Count("id"))["cold"]
    )


def lead_figures_now(filters: DashboardFilters, now: datetime) -> dict:
    """What is true now, whatever the period: the open pipeline, snoozed leads, cold leads. Two queries."""
    open_leads = _open_leads(filters).aggregate(
        **PIPELINE, snoozed=Count("snoozed_until", filter=Q(snoozed_until__gt=now))
    )
    return {**open_leads, "cold": lead_cold_now(filters, now)}


def _period_days(filters: DashboardFilters):
    return LeadDay.objects.filter(
        lead_filter(filters, owner="rep", captured_by="marketer"), day__gte=filters.start, day__lte=filters.end
    )


def lead_totals_of_period(filters: DashboardFilters) -> dict:
    """The period's totals from the daily roll-up, both funnels included. One query."""
    sums = _period_days(filters).aggregate(**{c: Sum(c) for c in ROLLUP_COLUMNS})
    return {column: value or 0 for column, value in sums.items()}


def lead_won_to_date_and_marketing_wins(*, to_date: DashboardFilters, week: DashboardFilters) -> dict:
    """From the roll-up in one query: the won revenue of `to_date` (as `lead_totals_of_period` sums
    it), and the week's wins credited to marketers, the capturing users whose role is marketer (the
    rows of the week's `revenue_by_marketer` that name a marketer, summed)."""
    marketers = User.objects.filter(role=Role.MARKETER).values("pk")
    in_to_date = Q(day__gte=to_date.start, day__lte=to_date.end) & lead_filter(
        to_date, owner="rep", captured_by="marketer"
    )
    in_week = (
        Q(day__gte=week.start, day__lte=week.end)
        & lead_filter(week, owner="rep", captured_by="marketer")
        & Q(marketer__in=marketers)
    )
    sums = LeadDay.objects.filter(
        day__gte=min(to_date.start, week.start), day__lte=max(to_date.end, week.end)
    ).aggregate(
        # Named apart from the roll-up's own columns, so each sums the rows (as in `lead_figures_of_period`).
        to_date_revenue=Sum("won_revenue", filter=in_to_date),
        marketing_won=Sum("won", filter=in_week),
        marketing_won_revenue=Sum("won_revenue", filter=in_week),
    )
    return {
        "won_revenue": money(sums["to_date_revenue"]),
        "marketing_wins": {"won": sums["marketing_won"] or 0, "revenue": money(sums["marketing_won_revenue"])},
    }


def lead_figures_of_period(filters: DashboardFilters) -> dict:
    """The period's lead figures, summed from the daily roll-up (`LeadDay`) rather than read from
    the leads: a few rows per day, however many leads there are. Six queries."""
    days = _period_days(filters)
    # 1: the totals of the period, both funnels included.
    totals = lead_totals_of_period(filters)
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


def lead_breakdowns(lead_figures: dict) -> dict:
    """The period's quality and revenue breakdowns (by campaign, source, marketer and rep) as the
    dashboard shows them, from `lead_figures_of_period`."""
    quality = [
        {
            "campaign_id": row["campaign_id"],
            "campaign": row["campaign"],
            "good": row["good"],
            "bad": row["bad"],
            "good_share": share(row["good"], row["good"] + row["bad"]),
            "bad_share": share(row["bad"], row["good"] + row["bad"]),
        }
        for row in lead_figures["quality"]
    ]
    breakdowns = lead_figures["breakdowns"]
    by_campaign = [
        {"campaign_id": r["key"], "campaign": r["name"], "revenue": money(r["revenue"]), "won": r["won"]}
        for r in breakdowns["campaign"]
    ]
    source_labels = dict(Source.choices)
    by_source = [
        {
            "source": r["key"],
            "label": source_labels.get(r["key"], r["key"]),
            "revenue": money(r["revenue"]),
            "won": r["won"],
        }
        for r in breakdowns["source"]
    ]
    by_marketer = [
        {"user_id": r["key"], "name": r["name"] or "(nobody)", "revenue": money(r["revenue"]), "won": r["won"]}
        for r in breakdowns["marketer"]
    ]
    by_rep = [
        {"user_id": r["key"], "name": r["name"] or "(nobody)", "revenue": money(r["revenue"]), "won": r["won"]}
        for r in breakdowns["rep"]
    ]

    return {
        "quality_by_campaign": quality,
        "revenue_by_campaign": by_campaign,
        "revenue_by_source": by_source,
        "revenue_by_marketer": by_marketer,
        "revenue_by_rep": by_rep,
    }
