"""The per-campaign lead-quality scorecard, for the leads captured in a period (a cohort). How each
figure is read, one query each however many leads:

- the funnel (captured, handed off, accepted, won, won revenue) and the current good/bad verdicts
  are summed from the dashboard's daily roll-up (`LeadDay`, whose cohort columns count how far the
  leads captured each day have got since, and what their current verdict is), so the scorecard and
  the dashboard count a campaign's leads the same way;
- the median time from handoff to the first verdict is read from the leads' own `verdict_wait`
  (set once, with the first verdict): on PostgreSQL each campaign's one or two middle waits are
  read in index order (`lead_verdict_wait`, the period filtered inside the index scan), never a
  sort of every verdict; elsewhere the base median (`alignment.aggregates.percentile_by_group`).
  Both give PostgreSQL's `percentile_cont(0.5)`, exactly;
- the top bad reasons (bad verdicts, rejections and losses, by reason) are summed from their daily
  roll-up (`ReasonDay`, the items counted on their lead's capture day), the first three of each
  campaign by count, then label.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import F, Sum

from alignment.aggregates import percentile_by_group, uses_percentile_cont
from alignment.days import company_day, company_today, company_tz
from feedback.models import ReasonDay
from feedback.scorecard_extras import scorecard_requests
from leads.models import Campaign, Lead, LeadDay


@dataclass
class Period:
    key: str
    start: datetime | None
    end: datetime | None
    label: str


PERIODS = {
    "30d": ("Last 30 days", 30),
    "90d": ("Last 90 days", 90),
    "365d": ("Last 12 months", 365),
    "all": ("All time", None),
}


def scorecard_period(key: str | None, *, today: date | None = None) -> Period:
    key = key if key in PERIODS else "90d"
    label, days = PERIODS[key]
    if days is None:
        return Period(key, None, None, label)
    today = today or company_today()
    start = datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=company_tz())
    return Period(key, start, None, label)


@dataclass
class ScorecardRow:
    campaign: Campaign
    captured: int = 0
    handed_off: int = 0
    accepted: int = 0
    won: int = 0
    won_revenue: Decimal = Decimal("0")
    good: int = 0
    bad: int = 0
    median_time_to_verdict: timedelta | None = None
    top_bad_reasons: list = field(default_factory=list)
    # The delivered campaign requests this campaign answers, with what it brought in their segment.
    requests: list = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.handed_off if self.handed_off else None

    @property
    def judged(self) -> int:
        return self.good + self.bad

    @property
    def good_share(self) -> float | None:
        return self.good / self.judged if self.judged else None

    @property
    def bad_share(self) -> float | None:
        return self.bad / self.judged if self.judged else None

    @property
    def median_hours(self) -> float | None:
        if self.median_time_to_verdict is None:
            return None
        return round(self.median_time_to_verdict.total_seconds() / 3600, 1)

    @property
    def cost_per_won(self) -> Decimal | None:
        if self.campaign.cost is None or not self.won:
            return None
        return (self.campaign.cost / self.won).quantize(Decimal("0.01"))


SCORECARD_SORTS = {
    "name": lambda r: r.campaign.name.lower(),
    "captured": lambda r: r.captured,
    "handed_off": lambda r: r.handed_off,
    "acceptance_rate": lambda r: r.acceptance_rate if r.acceptance_rate is not None else -1,
    "good_share": lambda r: r.good_share if r.good_share is not None else -1,
    "bad_share": lambda r: r.bad_share if r.bad_share is not None else -1,
    "median_time_to_verdict": lambda r: r.median_time_to_verdict or timedelta.max,
    "won_revenue": lambda r: r.won_revenue,
    "cost_per_won": lambda r: r.cost_per_won if r.cost_per_won is not None else Decimal("Infinity"),
}

# The roll-up's cohort columns: how far the leads captured on a day have got since.
COHORT_FIGURES = {
    "captured": "captured",
    "handed_off": "cohort_handed_off",
    "accepted": "cohort_accepted",
    "won": "cohort_won",
    "won_revenue": "cohort_won_revenue",
    "good_verdicts": "cohort_good",
    "bad_verdicts": "cohort_bad",
}


def _median_waits_sql(where: str) -> str:
    """Per campaign, the median wait of the leads matching `where` (SQL on the leads, as `l`), in
    one statement: the waits counted per campaign, then for each campaign its one or two middle
    waits read in index order (OFFSET (n−1)/2, LIMIT 1 when n is odd, 2 when even) and
    interpolated as `percentile_cont(0.5)` interpolates them (lo + (hi − lo) · 0.5).

    The conditions repeat the index's own (`lead_verdict_wait`), so both scans read it alone.
    (`%%` is the modulo once the statement's parameters are bound.)"""
    table = Lead._meta.db_table
    return f"""
WITH counts AS (
    SELECT l.campaign_id, count(*) AS n FROM {table} l
    WHERE l.verdict_wait IS NOT NULL AND l.merged_into_id IS NULL{where}
    GROUP BY l.campaign_id
)
SELECT c.campaign_id, (max(m.verdict_wait) - min(m.verdict_wait)) * 0.5::float8 + min(m.verdict_wait)
FROM counts c CROSS JOIN LATERAL (
    SELECT l.verdict_wait FROM {table} l
    WHERE l.campaign_id = c.campaign_id AND l.verdict_wait IS NOT NULL AND l.merged_into_id IS NULL{where}
    ORDER BY l.verdict_wait
    OFFSET (c.n - 1) / 2 LIMIT 2 - c.n %% 2
) m
GROUP BY c.campaign_id
"""


def _median_waits(*, campaign: int | None, period: Period) -> dict:
    """`{campaign id: median time from handoff to first verdict}` of the leads captured in `period`."""
    leads = Lead.objects.filter(verdict_wait__isnull=False, merged_into__isnull=True)
    conditions, params = [], []
    if campaign is not None:
        leads = leads.filter(campaign_id=campaign)
        conditions.append(" AND l.campaign_id = %s")
        params.append(campaign)
    if period.start:
        leads = leads.filter(captured_at__gte=period.start)
        conditions.append(" AND l.captured_at >= %s")
        params.append(period.start)
    if period.end:
        leads = leads.filter(captured_at__lt=period.end)
        conditions.append(" AND l.captured_at < %s")
        params.append(period.end)
    if not uses_percentile_cont():
        return percentile_by_group(leads, F("verdict_wait"), 0.5, group="campaign_id")
    with connection.cursor() as cursor:
        cursor.execute(_median_waits_sql("".join(conditions)), params * 2)
        return dict(cursor.fetchall())


def campaign_scorecard(*, period: Period, sort: str = "name", campaign: int | None = None) -> list[ScorecardRow]:
    """Lead quality per campaign for the leads captured in `period` (a cohort, so a campaign's
    figures do not shift as old leads move). Four queries however many leads or campaigns:

    1. the campaigns with their owners;
    2. per campaign, from the daily roll-up: leads captured, handed off, accepted, won, won revenue,
       and their current good/bad verdicts;
    3. per campaign: the median time from handoff to the first verdict, from the leads' waits;
    4. per campaign and reason, from the bad reasons' daily roll-up: the bad verdicts, rejections
       and losses;
    5. when planning is installed, the delivered requests the campaigns answer, with their stored
       outcomes (`feedback.scorecard_extras`).

    Sorting by `-column` sorts descending; campaigns are few, so rows are sorted here.
    """
    campaigns = Campaign.objects.select_related("owner").order_by("name")
    if campaign is not None:
        campaigns = campaigns.filter(pk=campaign)
    rows = {c.id: ScorecardRow(campaign=c) for c in campaigns}

    def days(queryset):
        """The rows of a daily roll-up for the period's capture days (and the campaign)."""
        if campaign is not None:
            queryset = queryset.filter(campaign_id=campaign)
        if period.start:
            queryset = queryset.filter(day__gte=company_day(period.start))
        if period.end:
            queryset = queryset.filter(day__lt=company_day(period.end))
        return queryset

    figures = {name: Sum(column) for name, column in COHORT_FIGURES.items()}
    for row in days(LeadDay.objects.all()).values("campaign_id").annotate(**figures).order_by():
        card = rows.get(row["campaign_id"])
        if card:
            card.captured, card.handed_off = row["captured"], row["handed_off"]
            card.accepted, card.won = row["accepted"], row["won"]
            card.won_revenue = row["won_revenue"] or Decimal("0")
            card.good, card.bad = row["good_verdicts"], row["bad_verdicts"]

    for campaign_id, median in _median_waits(campaign=campaign, period=period).items():
        card = rows.get(campaign_id)
        if card:
            card.median_time_to_verdict = median

    reasons = (
        days(ReasonDay.objects.all())
        .values("campaign_id", "reason__label")
        .annotate(n=Sum("count"))
        .filter(n__gt=0)
        .order_by("campaign_id", "-n", "reason__label")
    )
    for row in reasons:
        card = rows.get(row["campaign_id"])
        if card and len(card.top_bad_reasons) < 3:
            card.top_bad_reasons.append((row["reason__label"], row["n"]))

    for campaign_id, requests in scorecard_requests(rows).items():
        if campaign_id in rows:
            rows[campaign_id].requests = requests

    descending = sort.startswith("-")
    key = SCORECARD_SORTS.get(sort.lstrip("-"), SCORECARD_SORTS["name"])
    return sorted(rows.values(), key=key, reverse=descending)
