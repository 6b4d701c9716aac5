"""The per-campaign lead-quality scorecard.

The funnel of the leads captured in the period (captured, handed off, accepted, won, won revenue) is
summed from the dashboard's daily roll-up (`LeadDay`, whose cohort columns count how far the leads
captured each day have got since), so the scorecard and the dashboard count a campaign's leads the
same way; so are the current verdicts (the roll-up counts each cohort by its leads' current verdict).
The time to the first verdict and the bad reasons are read from the verdicts and feedback items
themselves; the median time to verdict is the base median (`alignment.aggregates`), exact on every
database.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.utils import timezone

from alignment.aggregates import percentile_by_group
from feedback.models import BAD_REASON_KINDS, FeedbackItem, Verdict
from leads.models import Campaign, LeadDay


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
    today = today or timezone.localdate()
    start = timezone.make_aware(datetime.combine(today - timedelta(days=days - 1), time.min))
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


def _company_day(at: datetime) -> date:
    """The day of `at` in the company's time zone, as the roll-up counts its days."""
    return timezone.localdate(at, timezone.get_default_timezone())


def campaign_scorecard(*, period: Period, sort: str = "name", campaign: int | None = None) -> list[ScorecardRow]:
    """Lead quality per campaign for the leads captured in `period` (a cohort, so a campaign's
    figures do not shift as old leads move). Four queries however many leads or campaigns:

    1. the campaigns with their owners;
    2. per campaign, from the daily roll-up: leads captured, handed off, accepted, won, won revenue,
       and their current good/bad verdicts;
    3. per campaign: the median time from handoff to the first verdict;
    4. per campaign and reason: the bad verdicts, rejections and losses.

    Sorting by `-column` sorts descending; campaigns are few, so rows are sorted here.
    """
    campaigns = Campaign.objects.select_related("owner").order_by("name")
    if campaign is not None:
        campaigns = campaigns.filter(pk=campaign)
    rows = {c.id: ScorecardRow(campaign=c) for c in campaigns}

    def cohort(prefix=""):
        """The leads in the period (and campaign), as a filter on a table that reaches the lead
        through `prefix`: a join, never an IN over every lead id."""
        q = Q()
        if campaign is not None:
            q &= Q(**{f"{prefix}campaign_id": campaign})
        if period.start:
            q &= Q(**{f"{prefix}captured_at__gte": period.start})
        if period.end:
            q &= Q(**{f"{prefix}captured_at__lt": period.end})
        return q

    days = LeadDay.objects.all()
    if campaign is not None:
        days = days.filter(campaign_id=campaign)
    if period.start:
        days = days.filter(day__gte=_company_day(period.start))
    if period.end:
        days = days.filter(day__lt=_company_day(period.end))
    for row in days.values("campaign_id").annotate(**{name: Sum(column) for name, column in COHORT_FIGURES.items()}):
        card = rows.get(row["campaign_id"])
        if card:
            card.captured, card.handed_off = row["captured"], row["handed_off"]
            card.accepted, card.won = row["accepted"], row["won"]
            card.won_revenue = row["won_revenue"] or Decimal("0")
            card.good, card.bad = row["good_verdicts"], row["bad_verdicts"]

    verdicts = Verdict.objects.filter(cohort("lead__"))

    earlier = Verdict.objects.filter(lead_id=OuterRef("lead_id"), created_at__lt=OuterRef("created_at"))
    first_verdicts = verdicts.filter(~Exists(earlier), lead__handed_off_at__isnull=False)
    to_verdict = ExpressionWrapper(F("created_at") - F("lead__handed_off_at"), output_field=DurationField())
    medians = percentile_by_group(first_verdicts, to_verdict, 0.5, group="lead__campaign_id")
    for campaign_id, median in medians.items():
        card = rows.get(campaign_id)
        if card:
            card.median_time_to_verdict = median

    reasons = (
        FeedbackItem.objects.filter(cohort("lead__"), kind__in=BAD_REASON_KINDS, reason__isnull=False)
        .values("lead__campaign_id", "reason__label")
        .annotate(n=Count("*"))
        .order_by("lead__campaign_id", "-n", "reason__label")
    )
    for row in reasons:
        card = rows.get(row["lead__campaign_id"])
        if card and len(card.top_bad_reasons) < 3:
            card.top_bad_reasons.append((row["reason__label"], row["n"]))

    descending = sort.startswith("-")
    key = SCORECARD_SORTS.get(sort.lstrip("-"), SCORECARD_SORTS["name"])
    return sorted(rows.values(), key=key, reverse=descending)
