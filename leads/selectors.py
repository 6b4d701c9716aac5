"""Reads on leads, already scoped to what the asking user may see.

Marketers and managers see every lead; a rep sees the leads handed to them, now or before. Pages
and the API both read through here, so they cannot disagree.
"""

from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from alignment.caching import local_cached, local_forget
from alignment.errors import NotFound
from alignment.models import Role, User
from leads.models import (
    ACCEPTED_OPEN_STATUSES,
    OPEN_STATUSES,
    Campaign,
    ColdEpisode,
    Handoff,
    HandoffOffer,
    HandoffOutcome,
    Lead,
    LeadEvent,
    OfferOutcome,
    ReasonCode,
)

# Free-mail domains say nothing about who someone works for.
FREE_MAIL_DOMAINS = {
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "icloud.com",
    "aol.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "proton.me",
    "protonmail.com",
    "mail.com",
}


def lead_visible_q(user: User) -> Q:
    if user.role in (Role.MARKETER, Role.MANAGER):
        return Q()
    # A rep still sees a lead once offered to them, after the offer moved on: the page says where.
    return (
        Q(owner=user)
        | Q(id__in=Handoff.objects.filter(to_rep=user).values("lead_id"))
        | Q(id__in=HandoffOffer.objects.filter(rep=user).values("lead_id"))
    )


# The owner filter's value for leads nobody holds: the managers' queue, nurture, new leads.
NO_OWNER = "none"


def lead_list_for_user(*, user: User, filters: dict | None = None) -> QuerySet[Lead]:
    """Leads `user` may see, newest first (a lead merged into another is no longer one of them).

    Filters: status, owner (id, or NO_OWNER), campaign (id), captured_by (id), cold (bool), q, and
    ordering "-score" (the best first; leads without a score last) instead of newest first.
    """
    filters = filters or {}
    qs = Lead.objects.filter(lead_visible_q(user), merged_into__isnull=True).select_related(
        "owner", "campaign", "industry", "scored"
    )
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("owner") == NO_OWNER:
        qs = qs.filter(owner__isnull=True)
    elif filters.get("owner"):
        qs = qs.filter(owner_id=filters["owner"])
    if filters.get("campaign"):
        qs = qs.filter(campaign_id=filters["campaign"])
    if filters.get("captured_by"):
        qs = qs.filter(captured_by_id=filters["captured_by"])
    if filters.get("cold") is not None:
        cold = Q(cold_episodes__closed_at__isnull=True, cold_episodes__isnull=False)
        qs = qs.filter(cold) if filters["cold"] else qs.exclude(cold)
    if filters.get("q"):
        qs = qs.filter(lead_search_q(filters["q"]))
    if filters.get("ordering") == SCORE_ORDERING:
        # Every lead has its score row: joined as a row that must be there, the best first come
        # from the rank index (`lead_score_rank`) in its order, each lead then by its key.
        return qs.filter(scored__isnull=False).annotate(score_rank=SCORE_RANK).order_by("-score_rank", "-id")
    return qs.order_by("-id")


SCORE_ORDERING = "-score"
# The `lead_score_rank` index's expression: a lead without a score sorts after every scored one.
SCORE_RANK = Coalesce(F("scored__score"), Value(-1.0))


def lead_ids_for_user(*, user: User, filters: dict, limit: int) -> list[int]:
    """The ids of the leads the list shows `user` for `filters`, in its order, at most `limit`."""
    return list(lead_list_for_user(user=user, filters=filters).values_list("id", flat=True)[:limit])


def lead_search_q(term: str) -> Q:
    """A search term matches an email from its start (emails are stored lower-case, so the unique
    email index serves the prefix), or a substring of the name or company (pg_trgm indexes on
    PostgreSQL, a scan on SQLite). An email's domain alone is not a search: it would need a scan of
    every address."""
    term = term.strip()
    if not term:
        return Q()
    return Q(email__startswith=term.lower()) | Q(name__icontains=term) | Q(company__icontains=term)


POSSIBLE_DUPLICATES = 3
NAME_SIMILARITY = 0.3


POSSIBLE_DUPLICATE_COLUMNS = ("id", "email", "name", "company")


def lead_possible_duplicates_statement(*, name: str, company: str, email: str, user: User | None):
    """The `(sql, params)` of `lead_possible_duplicates` for a lead with these values, or None when
    there is nothing to look for: a capture runs it inside its own statement (leads.capture), so
    the hint costs it no round trip.

    On PostgreSQL the company is the same in any case (read through the btree index on
    UPPER(company), migration leads 0016) and the name a trigram match, pg_trgm's similarity at
    least NAME_SIMILARITY (the threshold of its `%`): "Jon Smith" at "ACME GmbH" finds "John Smith"
    at "Acme GmbH". Elsewhere both are equal in any case. The newest few, without a lead merged
    away. Only for those who capture and merge (marketers and managers, who see every lead)."""
    name, company = (name or "").strip(), (company or "").strip()
    if not name or not company or user is None or user.role not in (Role.MARKETER, Role.MANAGER):
        return None
    if connection.vendor == "postgresql":
        same_name, params = "similarity(UPPER(name), UPPER(%s)) >= %s", [name, NAME_SIMILARITY]
    else:
        same_name, params = "UPPER(name) = UPPER(%s)", [name]
    sql = (
        f"SELECT {', '.join(POSSIBLE_DUPLICATE_COLUMNS)} FROM {Lead._meta.db_table} "
        f"WHERE UPPER(company) = UPPER(%s) AND {same_name} AND merged_into_id IS NULL AND email <> %s "
        f"ORDER BY captured_at DESC, id DESC LIMIT {POSSIBLE_DUPLICATES}"
    )
    return sql, [company, *params, email]


def possible_duplicates_from_rows(rows) -> list[dict]:
    return [dict(zip(POSSIBLE_DUPLICATE_COLUMNS, row, strict=True)) for row in rows]


def lead_possible_duplicates(*, lead: Lead, user: User) -> list[dict]:
    """Other leads with the same name and company as `lead` but another email, as `{id, email,
    name, company}`: maybe the same person captured twice, worth a look (a merge), never a reason
    to refuse the capture (see `lead_possible_duplicates_statement` for the match)."""
    statement = lead_possible_duplicates_statement(name=lead.name, company=lead.company, email=lead.email, user=user)
    if statement is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        return possible_duplicates_from_rows(cursor.fetchall())


def lead_get_for_user(*, user: User, pk) -> Lead:
    """One lead with its timeline and handoffs, or NotFound when it does not exist for `user`."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such lead.") from None
    lead = (
        Lead.objects.filter(lead_visible_q(user), pk=pk)
        .select_related("owner", "campaign", "industry", "captured_by", "lost_reason")
        .prefetch_related(
            Prefetch("events", queryset=LeadEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch(
                "handoffs",
                queryset=Handoff.objects.select_related("by", "to_rep", "reject_reason", "routing_rule").order_by(
                    "-created_at", "-id"
                ),
            ),
        )
        .first()
    )
    if lead is None:
        raise NotFound("No such lead.")
    return lead


def lead_latest_handoff(lead: Lead) -> Handoff | None:
    """The newest handoff, from the prefetched list when there is one."""
    handoffs = list(lead.handoffs.all())
    return handoffs[0] if handoffs else None


def lead_latest_handoffs(*, ids) -> dict[int, Handoff]:
    """The newest handoff of each of these leads, keyed by lead id, with its rep: in one query (the
    bulk results say who has each lead now and why)."""
    latest = {}
    handoffs = Handoff.objects.filter(lead_id__in=list(ids)).select_related("to_rep").order_by("-created_at", "-id")
    for handoff in handoffs:
        latest.setdefault(handoff.lead_id, handoff)
    return latest


# A rep's overdue handoffs, best score first, then the soonest deadline: their ids, at most the
# home's page. The handoffs come alone from `handoff_rep_open_due` (which carries their leads' ids,
# so no handoff row is read), then each lead's score by its key. Asked as one query with the rest
# of the row, the planner read every open overdue handoff of every rep through `handoff_open_due`
# (whose order follows the table's) to keep this rep's: a few hundred times the rows.
OVERDUE_BY_SCORE = """
WITH due AS MATERIALIZED (
    SELECT id, lead_id, sla_due_at FROM leads_handoff
    WHERE to_rep_id = %s AND outcome = 'open' AND sla_due_at <= %s
)
SELECT due.id FROM due LEFT JOIN leads_leadscore s ON s.lead_id = due.lead_id
ORDER BY COALESCE(s.score, -1) DESC, due.sla_due_at, due.id
LIMIT %s
"""


# A rep's working leads that are not cold, best score first, then the longest untouched: the ids of
# at most the home's page. The best come from the score rows' rep index (`lead_score_rep`) in its
# order, each checked against its lead (`working`: the rep's, still worked, not cold) until the page
# is full; then the rows scored at least the page's lowest (the ties at its end) are read again and
# ordered in full. A rep holding tens of thousands of leads has a few dozen rows read, not all.
# Written for the planner's estimates: the check is a subquery tested IS NOT NULL, so that it
# expects most rows to pass and reads the index in order rather than joining every row of the
# rep's first; the ties are a range with both ends (a score is at most 1), which it expects to be
# few, where a lower bound alone made it expect a third of the rep's rows and compile the
# statement (JIT) for longer than it runs; and they are set apart before the check's result is
# tested, so the check runs once a row.
_WORKING = f"""(
    SELECT l.last_activity_at FROM leads_lead l
    WHERE l.id = s.lead_id AND l.owner_id = %s AND l.merged_into_id IS NULL
      AND l.status IN ({", ".join(["%s"] * len(ACCEPTED_OPEN_STATUSES))})
      AND NOT EXISTS (SELECT 1 FROM leads_coldepisode c WHERE c.lead_id = l.id AND c.closed_at IS NULL)
)"""
WORKING_BY_SCORE = f"""
WITH page AS MATERIALIZED (
    SELECT COALESCE(s.score, -1) AS rank FROM leads_leadscore s
    WHERE s.working_owner_id = %s AND {_WORKING} IS NOT NULL
    ORDER BY COALESCE(s.score, -1) DESC LIMIT %s
), ties AS MATERIALIZED (
    SELECT s.lead_id, COALESCE(s.score, -1) AS rank, {_WORKING} AS at FROM leads_leadscore s
    WHERE s.working_owner_id = %s AND COALESCE(s.score, -1) BETWEEN (SELECT MIN(rank) FROM page) AND 1
)
SELECT lead_id FROM ties WHERE at IS NOT NULL ORDER BY rank DESC, at, lead_id LIMIT %s
"""


def inbox_for_rep(*, user: User, size: int) -> dict:
    """The rep's home: handoffs waiting for an answer, then their work. Each list's first `size` rows
    (`awaiting`, `working`; one more when there are more) and the whole list to count
    (`awaiting_all`, `working_all`). Handoffs still within their SLA come before the overdue ones:
    those can still be answered in time, and a new handoff would otherwise sit below every overdue
    one, past the home's first page. Within each, the best score first, then the soonest deadline.
    Working leads cold right now come before the others, each by score, then the longest untouched."""
    now = timezone.now()
    awaiting = Handoff.objects.filter(to_rep=user, outcome=HandoffOutcome.OPEN)
    overdue = Q(sla_due_at__lte=now)
    if connection.vendor == "postgresql":
        # The overdue part's first page, picked by id: see OVERDUE_BY_SCORE.
        overdue = Q(id__in=RawSQL(OVERDUE_BY_SCORE, [user.pk, now, size + 1]))
    handoffs = awaiting.select_related("lead", "lead__campaign", "lead__scored", "by").annotate(
        score_rank=Coalesce(F("lead__scored__score"), Value(-1.0)),
        # With offers on: when the rep's offer lapses and the lead moves on to the next rep.
        offer_due_at=Subquery(
            HandoffOffer.objects.filter(handoff=OuterRef("pk"), outcome=OfferOutcome.OPEN).values("due_at")[:1]
        ),
    )
    working = Lead.objects.filter(owner=user, status__in=ACCEPTED_OPEN_STATUSES, merged_into__isnull=True)
    leads = working.select_related("campaign", "scored").annotate(score_rank=SCORE_RANK)
    cold = Exists(ColdEpisode.objects.filter(lead=OuterRef("pk"), closed_at__isnull=True))
    warm = ~cold
    if connection.vendor == "postgresql":
        # The rest's first page, picked by id: see WORKING_BY_SCORE.
        check = [user.pk, *(str(status) for status in ACCEPTED_OPEN_STATUSES)]
        picked = [user.pk, *check, size + 1, *check, user.pk, size + 1]
        warm = Q(id__in=RawSQL(WORKING_BY_SCORE, picked))
    return {
        "awaiting": _parts_in_order(
            handoffs, (Q(sla_due_at__gt=now), overdue), ("-score_rank", "sla_due_at", "id"), size + 1
        ),
        "awaiting_all": awaiting,
        "working": _parts_in_order(leads, (cold, warm), ("-score_rank", "last_activity_at", "id"), size + 1),
        "working_all": working,
    }


def _parts_in_order(queryset: QuerySet, parts: tuple, order: tuple[str, ...], limit: int) -> list:
    """The first `limit` rows of `queryset`: those matching the first of `parts`, then the second,
    each in `order`. One UNION ALL of the two, each ordered and cut on its own where the database
    allows it (PostgreSQL), so each is read from an index in `order`: a single ORDER BY with the
    part first would sort every row of the rep's before returning the first page."""
    first, rest = (queryset.filter(part).annotate(part=Value(i)).order_by() for i, part in enumerate(parts))
    if connection.features.supports_slicing_ordering_in_compound:
        first, rest = first.order_by(*order)[:limit], rest.order_by(*order)[:limit]
    return list(first.union(rest, all=True).order_by("part", *order)[:limit])


def managers_queue() -> QuerySet[Handoff]:
    """Handoffs routing could not place: they wait for a manager to choose a rep."""
    return (
        Handoff.objects.filter(to_rep__isnull=True, outcome=HandoffOutcome.OPEN)
        .select_related("lead", "lead__campaign", "by")
        .order_by("created_at", "id")
    )


def lead_overlaps(*, lead: Lead) -> QuerySet[Lead]:
    """Open leads held by other reps (or queued) with the same company or business email domain."""
    match = Q()
    if lead.company:
        match |= Q(company__iexact=lead.company)
    if lead.email_domain not in FREE_MAIL_DOMAINS:
        match |= Q(email__iendswith="@" + lead.email_domain)
    if not match:
        return Lead.objects.none()
    return (
        Lead.objects.filter(match, status__in=OPEN_STATUSES, merged_into__isnull=True)
        .exclude(pk=lead.pk)
        .select_related("owner")
        .order_by("-id")[:5]
    )


def lead_overlap_warnings(*, lead: Lead) -> list[str]:
    """The overlaps as sentences to show before a handoff."""
    warnings = []
    for other in lead_overlaps(lead=lead):
        same = "company" if lead.company and other.company.lower() == lead.company.lower() else "email domain"
        who = other.owner.display_name if other.owner else "the managers' queue"
        warnings.append(
            f"Same {same} as {other} ({other.company or other.email}): "
            f"{other.get_status_display().lower()}, with {who}."
        )
    return warnings


def lead_summary_get_for_user(*, user: User, pk) -> Lead:
    """One lead as a list row shows it (owner, campaign, industry; no timeline), or NotFound."""
    try:
        return lead_list_for_user(user=user).get(pk=int(pk))
    except (TypeError, ValueError, Lead.DoesNotExist):
        raise NotFound("No such lead.") from None


def campaign_list(*, active_only: bool = False) -> QuerySet[Campaign]:
    """Campaigns by name; `active_only` leaves out the ones no longer capturing leads."""
    qs = Campaign.objects.select_related("owner")
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("name")


def campaign_get(*, pk, active_only: bool = False) -> Campaign:
    """One campaign, or NotFound (also for an inactive one when `active_only`)."""
    try:
        campaign = campaign_list(active_only=active_only).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        campaign = None
    if campaign is None:
        raise NotFound("No such campaign.")
    return campaign


def _campaign_cache_key(pk) -> str:
    return f"leads:campaign:{pk}"


def campaign_get_for_capture(*, pk) -> Campaign:
    """One campaign (without its owner joined), or NotFound: what a capture reads on every request,
    so it comes from this process's memory when it is there (`alignment.caching`);
    `campaign_cache_forget` drops it on every change."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such campaign.") from None
    campaign = local_cached(_campaign_cache_key(pk), Campaign.objects.filter(pk=pk).first)
    if campaign is None:
        raise NotFound("No such campaign.")
    return campaign


def campaign_cache_forget(sender, instance, **kwargs):
    local_forget(_campaign_cache_key(instance.pk))


def campaigns_by_id(ids) -> dict[int, Campaign]:
    """The campaigns with these ids, keyed by id, in one query: unknown ids are simply missing."""
    return Campaign.objects.select_related("owner").in_bulk(ids)


def campaign_for_form_key(form_key: str) -> Campaign | None:
    """The active campaign whose public web form has this key; None for an unknown or retired form."""
    if not form_key:
        return None
    return Campaign.objects.filter(form_key=form_key, active=True).first()


def rep_list() -> QuerySet[User]:
    return User.objects.filter(role=Role.REP, is_active=True).order_by("username")


def rep_get(*, pk) -> User:
    """The person a lead is to be handed to, or NotFound. Any user is returned: whether they are an
    active rep is the handoff service's rule, and its refusal names them."""
    try:
        user = User.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        user = None
    if user is None:
        raise NotFound("No such rep.")
    return user


def reason_code_list(*, active_only: bool = True) -> QuerySet[ReasonCode]:
    qs = ReasonCode.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("position", "label")


def reason_code_active_codes() -> list[str]:
    """The active codes themselves (`no_budget`, ...), in the order the pickers show them."""
    return list(ReasonCode.objects.filter(active=True).order_by("position", "code").values_list("code", flat=True))


def reason_code_get(*, pk) -> ReasonCode:
    try:
        code = ReasonCode.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        code = None
    if code is None:
        raise NotFound("No such reason code.")
    return code
