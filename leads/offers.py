"""Offers: a lead handed off by rules waits for one rep only so long, then moves on by itself.

With offers on (`ALIGNMENT_OFFER_MINUTES`, or the SLA settings page, above 0) a handoff chosen by
the routing rules is an **offer** to one rep. Not accepted within that many minutes (business
minutes when business hours are configured) the offer lapses and the lead is offered to the next
rep of the same rule in its round-robin order — active, available, under capacity, covering the
lead, and never a rep who rejected this lead or let an offer of it lapse. When nobody is left the
lead goes to the managers' queue and the managers are told. A handoff to a named rep is not an
offer and never moves by itself.

The handoff stays one handoff (its SLA clock, and speed to lead, count from the first offer); its
`to_rep` and the lead's `owner` move with the offer, and every offer is a `HandoffOffer` row.

"Exactly once" stands on the database: the sweep takes the lapsed offers with their leads'
rows locked `SKIP LOCKED`, so two sweeps never take the same offer, and an accept (which locks the
lead first) either gets in before the sweep — the lead is the rep's — or after it, when the offer
is no longer theirs and the accept is refused with a 409. One open offer per handoff, and one
offer per rep and handoff, are unique constraints.
"""

import logging
from collections import namedtuple
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from alignment.cursors import bound_cursor
from alignment.errors import TransitionNotAllowed
from alignment.live import LiveRow, live_publish
from alignment.models import NotificationKind, Role, User
from alignment.services import CHAT_HANDOFF, NotificationRow, chat_post_many, notification_create_many
from alignment.sla import duration_describe, sla_deadline, sla_offer_minutes, sla_settings_get
from leads.models import (
    EventKind,
    Handoff,
    HandoffOffer,
    HandoffOutcome,
    Lead,
    LeadEvent,
    OfferOutcome,
    RoutingRule,
)
from leads.rollup import lead_day_rows, lead_days_apply
from leads.routing import _rep_load_this_month, _rule_criteria

logger = logging.getLogger(__name__)

# Lapsed offers moved per sweep: the rest wait for the next sweep, a minute later.
OFFER_SWEEP_BATCH = 20_000

# How a handoff's end closes its open offer.
OFFER_END = {
    HandoffOutcome.ACCEPTED: OfferOutcome.ACCEPTED,
    HandoffOutcome.REJECTED: OfferOutcome.REJECTED,
}


def offer_minutes_in_force(policy=None) -> Decimal:
    """How long an offer lasts, in minutes; 0 when offers are off."""
    return sla_offer_minutes(policy or sla_settings_get())


def _offer_due(*, start, minutes, policy):
    return sla_deadline(start=start, hours=Decimal(minutes) / 60, policy=policy)


EXCLUDED_SQL = """
SELECT lead_id, rep_id FROM leads_handoffoffer WHERE lead_id = ANY(%b::bigint[]) AND outcome IN ('rejected', 'lapsed')
UNION
SELECT lead_id, to_rep_id FROM leads_handoff
WHERE lead_id = ANY(%b::bigint[]) AND outcome = 'rejected' AND to_rep_id IS NOT NULL
"""


def offers_excluded_reps(lead_ids) -> dict[int, set[int]]:
    """For each lead, the reps it may not be offered to again: those who rejected it (on an offer or
    a handoff of it) or let an offer of it lapse. One query, however many leads (on PostgreSQL the
    ids go as one array parameter)."""
    excluded: dict[int, set[int]] = {}
    if connection.vendor == "postgresql":
        with bound_cursor() as cursor:
            cursor.execute(EXCLUDED_SQL, [list(lead_ids), list(lead_ids)])
            rows = cursor.fetchall()
    else:
        rows = (
            HandoffOffer.objects.filter(lead_id__in=lead_ids, outcome__in=[OfferOutcome.REJECTED, OfferOutcome.LAPSED])
            .values_list("lead_id", "rep_id")
            .order_by()
        )
        rows = rows.union(
            Handoff.objects.filter(lead_id__in=lead_ids, outcome=HandoffOutcome.REJECTED, to_rep__isnull=False)
            .values_list("lead_id", "to_rep_id")
            .order_by()
        )
    for lead_id, rep_id in rows:
        excluded.setdefault(lead_id, set()).add(rep_id)
    return excluded


def offer_open_first(*, handoff: Handoff, now, policy, minutes) -> HandoffOffer:
    """The first offer of a handoff the rules just routed (inside the handoff's transaction)."""
    return HandoffOffer.objects.create(
        handoff=handoff,
        lead_id=handoff.lead_id,
        rep_id=handoff.to_rep_id,
        position=1,
        routing_turn=handoff.routing_turn,
        offered_at=now,
        due_at=_offer_due(start=now, minutes=minutes, policy=policy),
    )


def offer_describe_minutes(minutes) -> str:
    return duration_describe(timezone.timedelta(minutes=float(minutes)))


def offer_end(*, handoff: Handoff, outcome: str, at) -> int:
    """Close the handoff's open offer as the handoff ends: accepted, rejected, or withdrawn when the
    handoff ended some other way. Named-rep handoffs have no offers: no query for them."""
    if handoff.routing_rule_id is None:
        return 0
    return HandoffOffer.objects.filter(handoff=handoff, outcome=OfferOutcome.OPEN).update(
        outcome=OFFER_END.get(outcome, OfferOutcome.WITHDRAWN), ended_at=at
    )


def offer_refusal(*, handoff: Handoff | None, user) -> TransitionNotAllowed | None:
    """A rep answering a lead whose offer to them lapsed (and moved on, perhaps a moment ago, while
    they were on the page): a conflict to reload, not a permission they never had."""
    if handoff is None or user.role != Role.REP or handoff.to_rep_id == user.id or handoff.routing_rule_id is None:
        return None
    if not HandoffOffer.objects.filter(handoff=handoff, rep=user).exclude(outcome=OfferOutcome.OPEN).exists():
        return None
    where = handoff.to_rep.display_name if handoff.to_rep_id else "the managers' queue"
    return TransitionNotAllowed(f"Your offer of this lead lapsed: it went to {where}. Reload the page.")


# --- the sweep -----------------------------------------------------------------------------------


@dataclass
class OfferSweepResult:
    lapsed: int = 0
    moved: int = 0
    to_managers: int = 0
    lead_ids: list = field(default_factory=list)


# What the sweep reads of each lapsed offer, its lead (as `lead_day_rows` and the rules read it)
# and the rep it lapsed on: plain rows, no model instances.
LEAD_FIELDS = (
    "id", "name", "email", "country", "region", "industry_id", "campaign_id", "source", "captured_by_id",
    "owner_id", "captured_at", "handed_off_at", "accepted_at", "qualified_at", "won_at", "won_amount",
    "verdict", "verdict_at",
)  # fmt: skip
LeadRow = namedtuple("LeadRow", LEAD_FIELDS)
DUE_FIELDS = ("offer_id", "handoff_id", "position", "rep_id", "rule_id", "story", "rep_name")

# Lock the lapsed offers, then their leads (a lead an accept holds is skipped, and its offer taken by
# the next sweep if it is still open), mark them lapsed and read what the sweep needs: one statement.
# The offers come first, alone, from their partial index (a materialized CTE): each lead, handoff and
# rep is then one primary-key probe. Joined in one query with the offers, the planner expected more
# offers than there are and hashed the whole lead and handoff tables, read end to end, to join them.
TAKE_SQL = f"""
WITH offers AS MATERIALIZED (
    SELECT id, handoff_id, lead_id, position, rep_id, due_at FROM leads_handoffoffer
    WHERE outcome = 'open' AND due_at <= %s
    ORDER BY due_at, id
    LIMIT %s
    FOR UPDATE SKIP LOCKED
), due AS MATERIALIZED (
    SELECT o.id AS offer_id, o.handoff_id, o.position, o.rep_id, h.routing_rule_id AS rule_id, h.note AS story,
        COALESCE(NULLIF(TRIM(u.first_name || ' ' || u.last_name), ''), u.username) AS rep_name,
        {", ".join(f"l.{name}" for name in LEAD_FIELDS)}, o.due_at
    FROM offers o
    JOIN leads_lead l ON l.id = o.lead_id
    JOIN leads_handoff h ON h.id = o.handoff_id
    JOIN alignment_user u ON u.id = o.rep_id
    FOR UPDATE OF l SKIP LOCKED
), lapsed AS (
    UPDATE leads_handoffoffer SET outcome = 'lapsed', ended_at = %s FROM due WHERE leads_handoffoffer.id = due.offer_id
)
SELECT {", ".join((*DUE_FIELDS, *LEAD_FIELDS))} FROM due ORDER BY due_at, offer_id
"""


def _offers_take(*, now, limit) -> list[tuple[tuple, LeadRow]]:
    if connection.vendor == "postgresql":
        with bound_cursor() as cursor:
            cursor.execute(TAKE_SQL, [now, limit, now])
            rows = cursor.fetchall()
    else:
        offers = list(
            HandoffOffer.objects.filter(outcome=OfferOutcome.OPEN, due_at__lte=now)
            .select_related("lead", "handoff", "rep")
            .order_by("due_at", "id")[:limit]
        )
        HandoffOffer.objects.filter(id__in=[o.id for o in offers]).update(outcome=OfferOutcome.LAPSED, ended_at=now)
        rows = [
            (o.id, o.handoff_id, o.position, o.rep_id, o.handoff.routing_rule_id, o.handoff.note, o.rep.display_name)
            + tuple(getattr(o.lead, name) for name in LEAD_FIELDS)
            for o in offers
        ]
    width = len(DUE_FIELDS)
    return [(row[:width], LeadRow(*row[width:])) for row in rows]


def _covers(rep_id, *, rule, lead, territories, verticals) -> bool:
    """`leads.routing.rule_candidates` for one rep, on rows already read (the sweep's bulk form)."""
    if rule.country or rule.countries:
        theirs = territories.get(rep_id)
        if theirs and not any(
            country.upper() == (lead.country or "").upper()
            and (not region or region.lower() == (lead.region or "").lower())
            for country, region in theirs
        ):
            return False
    if rule.vertical_id or rule.verticals:
        theirs = verticals.get(rep_id)
        if theirs and lead.industry_id not in theirs:
            return False
    return True


def _write(model, columns: dict[str, str], rows: list[tuple], *, key: str | None = None) -> None:
    """Insert `rows` into `model`'s table, or with `key` update the rows whose `key` column is each
    row's first value, setting `columns` (name → PostgreSQL type) to the rest: one statement reading
    arrays through `unnest` on PostgreSQL, sent in binary (in text every element of ten thousand is
    escaped, in Python, which cost more than the statement); the ORM's `bulk_create`/`bulk_update`
    elsewhere."""
    if not rows:
        return
    names = list(columns)
    if connection.vendor != "postgresql":
        if key is None:
            model.objects.bulk_create(model(**dict(zip(names, row, strict=True))) for row in rows)
            return
        objects = [model(pk=pk, **dict(zip(names, values, strict=True))) for pk, *values in rows]
        model.objects.bulk_update(objects, [name.removesuffix("_id") for name in names])
        return
    table = model._meta.db_table
    if key is not None:
        # In key order: the rows' pages are visited in order, and two writers never lock the same
        # rows in opposite orders.
        rows = sorted(rows, key=lambda row: row[0])
    kinds = (["bigint"] if key else []) + list(columns.values())
    arrays = ", ".join(f"%b::{kind}[]" for kind in kinds)
    if key is None:
        quoted = ", ".join(connection.ops.quote_name(name) for name in names)
        sql = f"INSERT INTO {table} ({quoted}) SELECT * FROM unnest({arrays})"
    else:
        assignments = ", ".join(f"{name} = v.{name}" for name in names)
        sql = (
            f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v(k, {', '.join(names)}) "
            f"WHERE {table}.{key} = v.k"
        )
    with bound_cursor() as cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])


def _rollup_move(moves) -> tuple[dict, dict]:
    """The roll-up's before and after for leads whose owner moves: each lead's rows are read once
    (`lead_day_rows`) and counted again under the new owner, the only part of the key that moves."""
    before, after = {}, {}
    for lead, to_rep in moves:
        for key, columns in lead_day_rows(lead).items():
            for target, moved in ((before, key), (after, key[:-1] + (to_rep or 0,))):
                merged = target.setdefault(moved, {})
                for column, amount in columns.items():
                    merged[column] = merged.get(column, 0) + amount
    return before, after


@transaction.atomic
def offers_sweep(*, now=None, limit: int = OFFER_SWEEP_BATCH) -> OfferSweepResult:
    """Move every offer whose time ran out on to the next rep of its rule, or to the managers' queue.

    Set-based: the same queries however many offers lapse — one statement takes the lapsed offers
    (locked with their leads, `SKIP LOCKED`: a second sweep running at the same moment skips the
    leads this one holds) and one statement writes each kind of row, for all of them; in Python
    only the choice of each lead's next rep, in the rule's round-robin order.
    """
    now = now or timezone.now()
    result = OfferSweepResult()
    if connection.vendor == "postgresql":
        # As in the cold-lead sweep: short index-driven statements whose cost estimates would
        # trigger JIT compilation that costs more than running them.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    policy = sla_settings_get()
    minutes = offer_minutes_in_force(policy)
    if minutes <= 0:
        # Offers turned off: whoever holds an offer keeps the lead, as with any handoff.
        return result
    due = _offers_take(now=now, limit=limit)
    if not due:
        return result
    result.lapsed = len(due)
    excluded = offers_excluded_reps([lead.id for _, lead in due])

    rules = {
        rule.id: rule
        for rule in RoutingRule.objects.select_for_update(of=("self",))
        .select_related("vertical", "campaign")
        .filter(id__in={offer[4] for offer, _ in due})
        .order_by("id")
    }
    rule_reps: dict[int, set[int]] = {}
    for rule_id, user_id in RoutingRule.reps.through.objects.filter(routingrule_id__in=rules).values_list(
        "routingrule_id", "user_id"
    ):
        rule_reps.setdefault(rule_id, set()).add(user_id)
    # Each rep as a plain (id, monthly capacity, name, available) row: the loop below reads them ten
    # thousand times over, which through model attributes costs more than the loop's own work.
    reps = {
        pk: (pk, capacity, f"{first} {last}".strip() or username, available)
        for pk, username, first, last, available, capacity in User.objects.filter(role=Role.REP, is_active=True)
        .order_by("id")
        .values_list("id", "username", "first_name", "last_name", "available", "monthly_capacity")
    }
    territories: dict[int, list] = {}
    for user_id, country, region in User.territories.through.objects.filter(user_id__in=reps).values_list(
        "user_id", "territory__country", "territory__region"
    ):
        territories.setdefault(user_id, []).append((country, region))
    verticals: dict[int, set] = {}
    for user_id, vertical_id in User.verticals.through.objects.filter(user_id__in=reps).values_list(
        "user_id", "vertical_id"
    ):
        verticals.setdefault(user_id, set()).add(vertical_id)
    # Only a rep with a monthly capacity needs their handoffs this month counted.
    load = _rep_load_this_month([pk for pk, rep in reps.items() if rep[1] is not None], now)
    # Each rule's reps who may take a lead at all (active, available, members), in id order: the
    # round-robin's order; per lead only exclusions, capacity and coverage are left to check.
    pools = {
        rule.id: [rep for pk, rep in reps.items() if rep[3] and pk in rule_reps.get(rule.id, reps)]
        for rule in rules.values()
        if rule.active
    }
    criteria = {rule.id: _rule_criteria(rule) for rule in rules.values()}
    turns = {rule.id: rule.turns for rule in rules.values()}
    last_rep = {rule.id: rule.last_rep_id for rule in rules.values()}
    # Who of a rule's pool covers a lead depends only on its country, region and vertical: worked
    # out once for each of those the lapsed leads have.
    covering: dict[tuple, list] = {}

    due_at = _offer_due(start=now, minutes=minutes, policy=policy)
    lasted = offer_describe_minutes(minutes)
    # A lead page's address, put together per lead: `reverse` costs more than the rest of the loop.
    detail, _, detail_end = reverse("leads:detail", args=[0]).rpartition("0")
    new_offers, handoffs, owners, events, live, chats, to_managers, moves = [], [], [], [], [], [], [], []
    for (_, handoff_id, position, lapsed_id, rule_id, story, lapsed_name), lead in due:
        no = excluded.get(lead.id, set()) | {lapsed_id}
        load[lapsed_id] = load.get(lapsed_id, 0) - 1
        eligible = []
        if rule_id in pools:
            where = (rule_id, lead.country, lead.region, lead.industry_id)
            if where not in covering:
                rule = rules[rule_id]
                covering[where] = [
                    rep
                    for rep in pools[rule_id]
                    if _covers(rep[0], rule=rule, lead=lead, territories=territories, verticals=verticals)
                ]
            eligible = [
                rep for rep in covering[where] if rep[0] not in no and (rep[1] is None or load.get(rep[0], 0) < rep[1])
            ]
        chosen = None
        if eligible:
            last = last_rep[rule_id]
            chosen = next((rep for rep in eligible if last is None or rep[0] > last), eligible[0])
        # The rep whose offer lapsed: their open inbox drops the lead at once.
        live.append(LiveRow(lapsed_id, "inbox", {"lead": lead.id, "handoff": handoff_id}))
        head = f"The offer to {lapsed_name} lapsed after {lasted} without an answer."
        url = f"{detail}{lead.id}{detail_end}"
        to_rep = None
        if chosen is not None:
            to_rep, _, chosen_name, _ = chosen
            turns[rule_id] += 1
            last_rep[rule_id] = to_rep
            load[to_rep] = load.get(to_rep, 0) + 1
            new_offers.append((handoff_id, lead.id, to_rep, position + 1, turns[rule_id], now, due_at, "open"))
            reason = (
                f"Offer {position + 1}: {head} Rule “{rules[rule_id].name}” ({criteria[rule_id]}), turn "
                f"{turns[rule_id]}: {chosen_name} was next in the round-robin of {len(eligible)} rep"
                f"{'s' if len(eligible) != 1 else ''} still eligible."
            )
            note = f"{head} Offered to {chosen_name} (offer {position + 1})."
            message = f"{lead.name or lead.email} is offered to you ({story})"
            live.append(
                LiveRow(to_rep, "handoff", {"lead": lead.id, "handoff": handoff_id, "message": message, "url": url})
            )
            chats.append(NotificationRow(to_rep, CHAT_HANDOFF, lead.id, message, url))
            result.moved += 1
        else:
            reason = f"{head} No rep of the rule is left who may take it: it waits in the managers' queue."
            note = f"{head} Nobody else may take it: it went to the managers' queue."
            to_managers.append((lead, url))
            result.to_managers += 1
        handoffs.append((handoff_id, to_rep, reason))
        owners.append((lead.id, to_rep))
        moves.append((lead, to_rep))
        events.append((lead.id, EventKind.OFFER, "", "", note, now))
        result.lead_ids.append(lead.id)
    for rule in rules.values():
        rule.turns, rule.last_rep_id = turns[rule.id], last_rep[rule.id]

    _write(HandoffOffer, OFFER_COLUMNS, new_offers)
    _write(Handoff, {"to_rep_id": "bigint", "routing_reason": "text"}, handoffs, key="id")
    _write(Lead, {"owner_id": "bigint"}, owners, key="id")
    before, after = _rollup_move(moves)
    lead_days_apply(before=before, after=after)
    _write(LeadEvent, EVENT_COLUMNS, events)
    RoutingRule.objects.bulk_update(list(rules.values()), ["turns", "last_rep"])
    if to_managers:
        managers = list(User.objects.filter(role=Role.MANAGER, is_active=True).values_list("id", flat=True))
        notification_create_many(
            rows=[
                NotificationRow(
                    manager,
                    NotificationKind.ESCALATION,
                    lead.id,
                    f"Nobody took {lead.name or lead.email}: its offers lapsed or were turned down, and it waits "
                    "in the managers' queue.",
                    url,
                )
                for lead, url in to_managers
                for manager in managers
            ]
        )
    chat_post_many(rows=chats)
    live_publish(rows=live)
    logger.info(
        "Offer sweep: %s lapsed, %s offered on, %s to the managers' queue",
        result.lapsed,
        result.moved,
        result.to_managers,
    )
    return result


OFFER_COLUMNS = {
    "handoff_id": "bigint",
    "lead_id": "bigint",
    "rep_id": "bigint",
    "position": "smallint",
    "routing_turn": "integer",
    "offered_at": "timestamptz",
    "due_at": "timestamptz",
    "outcome": "text",
}
EVENT_COLUMNS = {
    "lead_id": "bigint",
    "kind": "text",
    "from_status": "text",
    "to_status": "text",
    "note": "text",
    "at": "timestamptz",
}
