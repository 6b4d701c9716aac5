"""Reads of the closed loop, already scoped to what the asking user may see.

Marketers see the items on the leads they sent (or, as the campaign's owner, the ones nobody in
marketing captured); reps see the requests addressed to them and the conversations about their own
verdicts, rejections, losses and wins; managers see everything. Pages and the API both read here.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils import timezone

from alignment.errors import NotFound
from alignment.models import Role, User
from alignment.sla import sla_settings_get, sla_start_before
from feedback.models import FeedbackItem, FeedbackKind, FeedbackReply, FeedbackStatus, Verdict
from leads.models import ACCEPTED_OPEN_STATUSES, VERDICT_STATUSES, Campaign, Lead, VerdictValue

QUEUE_FILTERS = ("status", "campaign", "reason", "person", "kind")


def feedback_visible_q(user: User) -> Q:
    if user.role == Role.MANAGER:
        return Q()
    # The assignee is always one of the two sides, so one column decides (and its index serves).
    if user.role == Role.MARKETER:
        return Q(marketer=user)
    return Q(rep=user)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def feedback_queue_for_user(*, user: User, filters: dict | None = None) -> QuerySet[FeedbackItem]:
    """The items `user` may see, oldest first.

    Filters: `status` (open, resolved, info; "all" for every status — open by default), `campaign`
    (id), `reason` (code), `person` (a user id: the marketer or the rep on the item) and `kind`.
    """
    filters = filters or {}
    qs = FeedbackItem.objects.filter(feedback_visible_q(user))
    status = filters.get("status") or FeedbackStatus.OPEN
    if status in FeedbackStatus.values:
        qs = qs.filter(status=status)
    if filters.get("kind") in FeedbackKind.values:
        qs = qs.filter(kind=filters["kind"])
    campaign = _int_or_none(filters.get("campaign"))
    if campaign is not None:
        qs = qs.filter(lead__campaign_id=campaign)
    if filters.get("reason"):
        qs = qs.filter(reason__code=filters["reason"])
    person = _int_or_none(filters.get("person"))
    if person is not None:
        qs = qs.filter(Q(marketer_id=person) | Q(rep_id=person))
    return qs.select_related(
        "lead", "lead__campaign", "lead__owner", "reason", "assignee", "marketer", "rep", "verdict"
    ).order_by("created_at", "id")


def feedback_item_get_for_user(*, user: User, pk) -> FeedbackItem:
    """One item with its conversation, or NotFound when `user` may not see it."""
    pk = _int_or_none(pk)
    item = (
        FeedbackItem.objects.filter(feedback_visible_q(user), pk=pk)
        .select_related(
            "lead",
            "lead__campaign",
            "lead__owner",
            "lead__industry",
            "reason",
            "assignee",
            "marketer",
            "rep",
            "opened_by",
            "resolved_by",
            "verdict",
            "verdict__reason",
        )
        .prefetch_related(Prefetch("replies", queryset=FeedbackReply.objects.select_related("author")))
        .first()
        if pk is not None
        else None
    )
    if item is None:
        raise NotFound("No such feedback item.")
    return item


def feedback_next_open_item_for_user(*, user: User, after: FeedbackItem) -> FeedbackItem | None:
    """The open item that comes after `after` in the queue's order (only its id is loaded), or None:
    the item page's "next" link."""
    return (
        feedback_queue_for_user(user=user, filters={"status": FeedbackStatus.OPEN})
        .filter(Q(created_at__gt=after.created_at) | Q(created_at=after.created_at, id__gt=after.id))
        .select_related(None)
        .only("id")
        .first()
    )


def feedback_items_for_lead(*, user: User, lead: Lead) -> list[FeedbackItem]:
    """The conversations about one lead that `user` may see, oldest first: the lead's loop history."""
    return list(
        FeedbackItem.objects.filter(feedback_visible_q(user), lead=lead)
        .select_related("reason", "marketer", "rep", "resolved_by")
        .annotate(reply_count=Count("replies"))
        .order_by("created_at", "id")
    )


def verdict_history_for_lead(*, lead: Lead) -> list[Verdict]:
    """Every verdict given on the lead, newest first; the first one is current."""
    return list(Verdict.objects.filter(lead=lead).select_related("rep", "reason").order_by("-created_at", "-id"))


def verdict_get(*, pk) -> Verdict:
    """One verdict with its rep and reason, as the API shows it after giving it."""
    return Verdict.objects.select_related("rep", "reason").get(pk=pk)


def feedback_reply_get(*, pk) -> FeedbackReply:
    """One reply with its author, as the API shows it after sending it."""
    return FeedbackReply.objects.select_related("author").get(pk=pk)


def feedback_inbox_for_rep(*, user: User, limit: int = 50) -> list[Lead]:
    """What the rep's inbox shows of the loop, in one query: the rep's leads that marketing asked
    about (annotated with the open request) and the accepted ones still without a verdict, longest
    held first (the inbox nags only about the unjudged leads still being worked). `request_id` is
    None on a lead nobody asked about."""
    request = FeedbackItem.objects.filter(
        lead=OuterRef("pk"), kind=FeedbackKind.REQUEST, status=FeedbackStatus.OPEN, assignee=user
    ).order_by("created_at", "id")
    asker = Coalesce(
        NullIf(Trim(Concat("marketer__first_name", Value(" "), "marketer__last_name")), Value("")),
        "marketer__username",
    )
    return list(
        Lead.objects.filter(owner=user, status__in=VERDICT_STATUSES)
        .annotate(
            judged=Exists(Verdict.objects.filter(lead=OuterRef("pk"))),
            request_id=Subquery(request.values("id")[:1]),
            request_note=Subquery(request.values("note")[:1]),
            request_at=Subquery(request.values("created_at")[:1]),
            request_by=Subquery(request.annotate(asker=asker).values("asker")[:1]),
        )
        .filter(Q(request_id__isnull=False) | Q(judged=False, status__in=ACCEPTED_OPEN_STATUSES))
        .select_related("campaign")
        .order_by("accepted_at", "id")[:limit]
    )


def feedback_overdue_cutoff(*, now: datetime | None = None, policy=None) -> datetime:
    """An open item created at this moment or before is overdue: it has waited longer than the
    loop's response threshold (`feedback_response_days`), counted in business hours when they are
    configured. The one rule the queue's badge, the item page, the API and the reminders share."""
    policy = policy or sla_settings_get()
    return sla_start_before(end=now or timezone.now(), hours=policy.feedback_response_days * 24, policy=policy)


def feedback_item_is_overdue(item: FeedbackItem, *, cutoff: datetime) -> bool:
    return item.status == FeedbackStatus.OPEN and item.created_at <= cutoff


def feedback_people(*, user: User) -> QuerySet[User]:
    """Who the queue can be filtered by: the people on the other side (everybody, for managers)."""
    if user.role == Role.MARKETER:
        roles = [Role.REP]
    elif user.role == Role.REP:
        roles = [Role.MARKETER]
    else:
        roles = [Role.MARKETER, Role.REP]
    return User.objects.filter(role__in=roles, is_active=True).order_by("username")


# --- the campaign scorecard -------------------------------------------------------------------


class Median(Aggregate):
    """The median on PostgreSQL. SQLite (the embedded default) has no ordered-set aggregates, so
    there it falls back to the mean: good enough for a demo machine, exact in production."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="AVG", template="%(function)s(%(expressions)s)", **extra)


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


def campaign_scorecard(*, period: Period, sort: str = "name", campaign: int | None = None) -> list[ScorecardRow]:
    """Lead quality per campaign for the leads captured in `period` (a cohort, so a campaign's
    figures do not shift as old leads move). Five queries however many leads or campaigns:

    1. the campaigns with their owners;
    2. per campaign: leads captured, handed off, accepted, won, and won revenue;
    3. per campaign and verdict: the current good/bad verdicts;
    4. per campaign: the median time from handoff to the first verdict;
    5. per campaign and reason: the bad verdicts, rejections and losses.

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

    leads = Lead.objects.filter(cohort())

    for row in leads.values("campaign_id").annotate(
        captured=Count("id"),
        handed_off=Count("id", filter=Q(handed_off_at__isnull=False)),
        accepted=Count("id", filter=Q(accepted_at__isnull=False)),
        won=Count("id", filter=Q(won_at__isnull=False)),
        won_revenue=Sum("won_amount", filter=Q(won_at__isnull=False)),
    ):
        card = rows.get(row["campaign_id"])
        if card:
            card.captured, card.handed_off = row["captured"], row["handed_off"]
            card.accepted, card.won = row["accepted"], row["won"]
            card.won_revenue = row["won_revenue"] or Decimal("0")

    verdicts = Verdict.objects.filter(cohort("lead__"))
    for row in verdicts.filter(current=True).values("lead__campaign_id", "verdict").annotate(n=Count("id")):
        card = rows.get(row["lead__campaign_id"])
        if card:
            setattr(card, "good" if row["verdict"] == VerdictValue.GOOD else "bad", row["n"])

    earlier = Verdict.objects.filter(lead_id=OuterRef("lead_id"), created_at__lt=OuterRef("created_at"))
    first_verdicts = verdicts.filter(~Exists(earlier), lead__handed_off_at__isnull=False)
    for row in first_verdicts.values("lead__campaign_id").annotate(
        median=Median(F("created_at") - F("lead__handed_off_at"))
    ):
        card = rows.get(row["lead__campaign_id"])
        if card:
            card.median_time_to_verdict = row["median"]

    bad_kinds = [FeedbackKind.BAD_VERDICT, FeedbackKind.REJECTED, FeedbackKind.LOST]
    reasons = (
        FeedbackItem.objects.filter(cohort("lead__"), kind__in=bad_kinds, reason__isnull=False)
        .values("lead__campaign_id", "reason__label")
        .annotate(n=Count("id"))
        .order_by("lead__campaign_id", "-n", "reason__label")
    )
    for row in reasons:
        card = rows.get(row["lead__campaign_id"])
        if card and len(card.top_bad_reasons) < 3:
            card.top_bad_reasons.append((row["reason__label"], row["n"]))

    descending = sort.startswith("-")
    key = SCORECARD_SORTS.get(sort.lstrip("-"), SCORECARD_SORTS["name"])
    return sorted(rows.values(), key=key, reverse=descending)


# --- voice of sales ---------------------------------------------------------------------------


def voice_of_sales(*, q: str = "", group_by: str = "vertical", limit: int = 200) -> dict:
    """The pain points reps recorded with their verdicts, newest first, grouped by the lead's
    vertical or campaign; `q` searches the pain points, the note, the company and the group name.

    Two queries: the newest `limit` entries, and each group's total count.
    """
    group_field = "lead__campaign__name" if group_by == "campaign" else "lead__industry__name"
    qs = Verdict.objects.exclude(pain_points="")
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(pain_points__icontains=q)
            | Q(note__icontains=q)
            | Q(lead__company__icontains=q)
            | Q(**{f"{group_field}__icontains": q})
        )
    entries = list(
        qs.select_related("lead", "lead__campaign", "lead__industry", "rep").order_by("-created_at", "-id")[:limit]
    )
    totals = {row[group_field]: row["n"] for row in qs.values(group_field).annotate(n=Count("id")).order_by()}
    groups: dict[str, list[Verdict]] = {}
    for entry in entries:
        if group_by == "campaign":
            name = entry.lead.campaign.name
        else:
            name = entry.lead.industry.name if entry.lead.industry_id else None
        groups.setdefault(name, []).append(entry)
    return {
        "groups": [
            {"name": name or "No vertical", "total": int(totals.get(name, 0)), "entries": items}
            for name, items in groups.items()
        ],
        "count": len(entries),
        "limit": limit,
    }
