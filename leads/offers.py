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
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

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


def offers_excluded_reps(lead_ids) -> dict[int, set[int]]:
    """For each lead, the reps it may not be offered to again: those who rejected it (on an offer or
    a handoff of it) or let an offer of it lapse. Two queries, however many leads."""
    excluded: dict[int, set[int]] = {}
    rows = HandoffOffer.objects.filter(
        lead_id__in=lead_ids, outcome__in=[OfferOutcome.REJECTED, OfferOutcome.LAPSED]
    ).values_list("lead_id", "rep_id")
    rejected = Handoff.objects.filter(
        lead_id__in=lead_ids, outcome=HandoffOutcome.REJECTED, to_rep__isnull=False
    ).values_list("lead_id", "to_rep_id")
    for lead_id, rep_id in [*rows, *rejected]:
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


def _update_many(model, columns: dict[str, str], rows: list[tuple]) -> None:
    """Set `columns` (name → PostgreSQL type) of many rows to their own values, `rows` being
    `(id, *values)`: one `UPDATE … FROM unnest(…)` on PostgreSQL (Django's `bulk_update` builds a
    CASE of one branch a row, slow to build and to plan by the thousand); `bulk_update` elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        objects = []
        for pk, *values in rows:
            obj = model(pk=pk)
            for name, value in zip(columns, values, strict=True):
                setattr(obj, name, value)
            objects.append(obj)
        model.objects.bulk_update(objects, list(columns))
        return
    table = model._meta.db_table
    names = ", ".join(columns)
    arrays = ", ".join(f"%s::{kind}[]" for kind in ("bigint", *columns.values()))
    assignments = ", ".join(f"{name} = v.{name}" for name in columns)
    sql = f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v(id, {names}) WHERE {table}.id = v.id"
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])


@transaction.atomic
def offers_sweep(*, now=None, limit: int = OFFER_SWEEP_BATCH) -> OfferSweepResult:
    """Move every offer whose time ran out on to the next rep of its rule, or to the managers' queue.

    Set-based: the same dozen or so queries however many offers lapse (the roll-up's upserts go in
    batches of 500 rows); a second sweep running at the same moment skips the leads this one holds.
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
    due = list(
        HandoffOffer.objects.filter(outcome=OfferOutcome.OPEN, due_at__lte=now)
        .select_related("lead", "handoff", "rep")
        .select_for_update(skip_locked=True, of=("self", "lead"))
        .order_by("due_at", "id")[:limit]
    )
    if not due:
        return result
    HandoffOffer.objects.filter(id__in=[offer.id for offer in due]).update(outcome=OfferOutcome.LAPSED, ended_at=now)
    result.lapsed = len(due)
    excluded = offers_excluded_reps([offer.lead_id for offer in due])

    rules = {
        rule.id: rule
        for rule in RoutingRule.objects.select_for_update(of=("self",))
        .select_related("vertical")
        .filter(id__in={offer.handoff.routing_rule_id for offer in due})
        .order_by("id")
    }
    rule_reps: dict[int, set[int]] = {}
    for rule_id, user_id in RoutingRule.reps.through.objects.filter(routingrule_id__in=rules).values_list(
        "routingrule_id", "user_id"
    ):
        rule_reps.setdefault(rule_id, set()).add(user_id)
    reps = {
        rep.id: rep
        for rep in User.objects.filter(role=Role.REP, is_active=True)
        .only("id", "username", "first_name", "last_name", "available", "monthly_capacity")
        .order_by("id")
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
    load = _rep_load_this_month(list(reps), now)

    due_at = _offer_due(start=now, minutes=minutes, policy=policy)
    lasted = offer_describe_minutes(minutes)
    before, after = {}, {}
    new_offers, handoffs, leads, events, live, chats, to_managers = [], [], [], [], [], [], []
    for offer in due:
        lead, handoff = offer.lead, offer.handoff
        rule = rules.get(handoff.routing_rule_id)
        lapsed_rep = offer.rep
        no = excluded.get(lead.id, set()) | {lapsed_rep.id}
        chosen = None
        eligible = []
        if rule is not None and rule.active:
            members = rule_reps.get(rule.id)
            for rep_id, rep in reps.items():
                if members and rep_id not in members:
                    continue
                if rep_id in no or not rep.available:
                    continue
                if rep.monthly_capacity is not None and load.get(rep_id, 0) >= rep.monthly_capacity:
                    continue
                if _covers(rep_id, rule=rule, lead=lead, territories=territories, verticals=verticals):
                    eligible.append(rep)
            if eligible:
                after_last = [r for r in eligible if rule.last_rep_id is None or r.id > rule.last_rep_id]
                chosen = (after_last or eligible)[0]
        before_rows = lead_day_rows(lead)
        # The rep whose offer lapsed: their open inbox drops the lead at once.
        live.append(LiveRow(lapsed_rep.id, "inbox", {"lead": lead.id, "handoff": handoff.id}))
        load[lapsed_rep.id] = load.get(lapsed_rep.id, 0) - 1
        head = f"The offer to {lapsed_rep.display_name} lapsed after {lasted} without an answer."
        if chosen is not None:
            rule.turns += 1
            rule.last_rep_id = chosen.id
            load[chosen.id] = load.get(chosen.id, 0) + 1
            position = offer.position + 1
            new_offers.append(
                HandoffOffer(
                    handoff=handoff,
                    lead_id=lead.id,
                    rep=chosen,
                    position=position,
                    routing_turn=rule.turns,
                    offered_at=now,
                    due_at=due_at,
                )
            )
            reason = (
                f"Offer {position}: {head} Rule “{rule.name}” ({_rule_criteria(rule)}), turn {rule.turns}: "
                f"{chosen.display_name} was next in the round-robin of {len(eligible)} rep"
                f"{'s' if len(eligible) != 1 else ''} still eligible."
            )
            note = f"{head} Offered to {chosen.display_name} (offer {position})."
            url = reverse("leads:detail", args=[lead.id])
            message = f"{lead} is offered to you ({handoff.note})"
            live.append(
                LiveRow(chosen.id, "handoff", {"lead": lead.id, "handoff": handoff.id, "message": message, "url": url})
            )
            chats.append(NotificationRow(chosen.id, CHAT_HANDOFF, lead.id, message, url))
            result.moved += 1
        else:
            reason = f"{head} No rep of the rule is left who may take it: it waits in the managers' queue."
            note = f"{head} Nobody else may take it: it went to the managers' queue."
            to_managers.append(lead)
            result.to_managers += 1
        handoff.to_rep = chosen
        handoff.routing_reason = reason
        lead.owner = chosen
        handoffs.append(handoff)
        leads.append(lead)
        for rows, target in ((before_rows, before), (lead_day_rows(lead), after)):
            for key, columns in rows.items():
                merged = target.setdefault(key, {})
                for column, amount in columns.items():
                    merged[column] = merged.get(column, 0) + amount
        events.append(LeadEvent(lead=lead, kind=EventKind.OFFER, note=note, at=now))
        result.lead_ids.append(lead.id)

    HandoffOffer.objects.bulk_create(new_offers)
    _update_many(
        Handoff,
        {"to_rep_id": "bigint", "routing_reason": "text"},
        [(h.id, h.to_rep_id, h.routing_reason) for h in handoffs],
    )
    _update_many(Lead, {"owner_id": "bigint"}, [(lead.id, lead.owner_id) for lead in leads])
    lead_days_apply(before=before, after=after)
    LeadEvent.objects.bulk_create(events)
    RoutingRule.objects.bulk_update(list(rules.values()), ["turns", "last_rep"])
    if to_managers:
        managers = list(User.objects.filter(role=Role.MANAGER, is_active=True).values_list("id", flat=True))
        notification_create_many(
            rows=[
                NotificationRow(
                    manager,
                    NotificationKind.ESCALATION,
                    lead.id,
                    f"Nobody took {lead}: its offers lapsed or were turned down, and it waits in the managers' queue.",
                    reverse("leads:detail", args=[lead.id]),
                )
                for lead in to_managers
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
