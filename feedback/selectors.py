"""Reads of the closed loop, already scoped to what the asking user may see.

Marketers see the items on the leads they sent (or, as the campaign's owner, the ones nobody in
marketing captured); reps see the requests addressed to them and the conversations about their own
verdicts, rejections, losses and wins; managers see everything. Pages and the API both read here.
"""

from datetime import datetime

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from alignment.errors import NotFound
from alignment.models import Role, User
from alignment.selectors import user_display_name_expression
from alignment.sla import sla_settings_get, sla_start_before
from feedback.models import FeedbackItem, FeedbackKind, FeedbackReply, FeedbackStatus, Verdict
from leads.models import ACCEPTED_OPEN_STATUSES, VERDICT_STATUSES, Lead
from leads.selectors import lead_search_q

QUEUE_FILTERS = ("status", "campaign", "reason", "person", "kind", "q")


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


def feedback_backlog() -> QuerySet[FeedbackItem]:
    """The open feedback backlog: every item still waiting for an answer, whenever it was opened.
    The one definition the dashboard counts (with its filters) and the digest lists: both read it
    as it is now."""
    return FeedbackItem.objects.filter(status=FeedbackStatus.OPEN)


def feedback_queue_for_user(*, user: User, filters: dict | None = None) -> QuerySet[FeedbackItem]:
    """The items `user` may see, oldest first.

    Filters: `status` (open, resolved, info; "all" for every status — open by default), `campaign`
    (id), `reason` (code), `person` (a user id: the marketer or the rep on the item), `kind` and
    `q` (the lead's name, email or company, searched as the lead list searches them).
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
    if (filters.get("q") or "").strip():
        qs = qs.filter(lead__in=Lead.objects.filter(lead_search_q(filters["q"])).values("id"))
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
    """Every verdict given on the lead, newest first; the first one is current. (With its themes:
    one more query when there is a verdict.)"""
    qs = Verdict.objects.filter(lead=lead).select_related("rep", "reason").prefetch_related("pain_themes")
    return list(qs.order_by("-created_at", "-id"))


def verdict_get(*, pk) -> Verdict:
    """One verdict with its rep and reason, as the API shows it after giving it."""
    return Verdict.objects.select_related("rep", "reason").prefetch_related("pain_themes").get(pk=pk)


def feedback_reply_get(*, pk) -> FeedbackReply:
    """One reply with its author, as the API shows it after sending it."""
    return FeedbackReply.objects.select_related("author").get(pk=pk)


def feedback_inbox_for_rep(*, user: User, limit: int = 50) -> list[Lead]:
    """What the rep's inbox shows of the loop, in one query: the rep's leads that marketing asked
    about (annotated with the open request) and the accepted ones still without a verdict, longest
    held first (the inbox nags only about the unjudged leads still being worked). `request_id` is
    None on a lead nobody asked about.

    The query reads only what it shows, however many leads the rep holds: the open requests to the
    rep (few; `feedback_assignee_status`), and the first `limit` unjudged leads in the rep's
    accepted leads by their acceptance (`lead_rep_accepted`), as a union of ids the leads are
    looked up by.
    """
    open_requests = FeedbackItem.objects.filter(kind=FeedbackKind.REQUEST, status=FeedbackStatus.OPEN, assignee=user)
    request = open_requests.filter(lead=OuterRef("pk")).order_by("created_at", "id")
    held = Lead.objects.filter(owner=user, merged_into__isnull=True)
    unjudged = (
        held.filter(status__in=ACCEPTED_OPEN_STATUSES)
        .exclude(Exists(Verdict.objects.filter(lead=OuterRef("pk"))))
        .order_by("accepted_at", "id")
        .values("id")[:limit]
    )
    asked = open_requests.order_by().values("lead_id")
    # The slice sits in a subquery of its own: SQLite allows no LIMIT in an arm of a UNION.
    shown = Lead.objects.filter(pk__in=unjudged).order_by().values("id").union(asked)
    return list(
        held.filter(pk__in=shown, status__in=VERDICT_STATUSES)
        .annotate(
            request_id=Subquery(request.values("id")[:1]),
            request_note=Subquery(request.values("note")[:1]),
            request_at=Subquery(request.values("created_at")[:1]),
            request_by=Subquery(request.annotate(asker=user_display_name_expression("marketer__")).values("asker")[:1]),
        )
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
