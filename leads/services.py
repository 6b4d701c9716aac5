"""Writes on leads: handoffs and every move of the one lifecycle every lead follows.

Every change to a lead's state goes through a function here, which locks the lead's row, asks
`lead_action_require` whether the user may do it (`leads.lifecycle`: the same question the pages
ask before they show a form), checks the move against TRANSITIONS, and writes the change and its
timeline event in one transaction. Capture lives in `leads.capture`, routing in `leads.routing`,
reason codes in `leads.reason_codes`.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from alignment.days import company_today, date_text
from alignment.errors import InvalidInput, TransitionNotAllowed
from alignment.live import LiveRow, live_publish
from alignment.models import Role, User
from alignment.services import CHAT_HANDOFF, NotificationRow, chat_post_many
from alignment.sla import sla_deadline, sla_settings_get
from leads import offers
from leads.lifecycle import TRANSITIONS, S, cannot_become, lead_action_require
from leads.models import (
    ACCEPTED_OPEN_STATUSES,
    ACTIVITY_KINDS,
    ColdEpisode,
    EventKind,
    Handoff,
    HandoffOutcome,
    Lead,
    LeadEvent,
)
from leads.reason_codes import reason_code_active
from leads.rollup import lead_day_rows, lead_days_apply
from leads.routing import lead_route
from leads.scores import lead_score_row_follow, leads_scores_refresh
from leads.webhooks import TRANSITION_EVENTS, lead_event_emit

# The waterfall date each status sets, once.
WATERFALL = {
    S.HANDED_OFF: "handed_off_at",
    S.ACCEPTED: "accepted_at",
    S.QUALIFIED: "qualified_at",
    S.WON: "won_at",
    S.LOST: "lost_at",
}

# How far ahead a snooze or a re-engage date may reach: further is a typo, not a plan.
MAX_SNOOZE = timedelta(days=366)
MAX_REENGAGE = timedelta(days=3 * 366)


# --- the lifecycle ------------------------------------------------------------------------------


def lead_event_record(lead, kind, *, by=None, note="", from_status="", to_status="", at=None) -> LeadEvent:
    """Add one entry to the lead's timeline."""
    return LeadEvent.objects.create(
        lead=lead,
        kind=kind,
        actor=by,
        note=note,
        from_status=from_status,
        to_status=to_status,
        at=at or timezone.now(),
    )


def lead_lock(lead) -> Lead:
    """The lead's row, locked until the transaction ends, as it is in the database now. A lead
    merged into another no longer changes: every write on it stops here."""
    lead = Lead.objects.select_for_update(of=("self",)).select_related("campaign__owner", "captured_by").get(pk=lead.pk)
    if lead.merged_into_id is not None:
        raise TransitionNotAllowed(f"This lead was merged into lead {lead.merged_into_id}: work on that one.")
    return lead


def _close_cold_episode(lead, at):
    ColdEpisode.objects.filter(lead=lead, closed_at__isnull=True).update(closed_at=at)


def _transition(lead, to_status, *, by, note="", at=None, changes=None) -> Lead:
    """Move a locked lead to `to_status`: check the table, apply `changes` (field name → value),
    stamp the waterfall, keep the dashboard's roll-up (and, into or out of a rep's work, the score
    row) in step, record the event on the timeline and in the webhooks' outbox."""
    if to_status not in TRANSITIONS[lead.status]:
        raise cannot_become(lead, to_status)
    at = at or timezone.now()
    changes = changes or {}
    before = lead_day_rows(lead)
    from_status = lead.status
    for name, value in changes.items():
        setattr(lead, name, value)
    lead.status = to_status
    lead.last_activity_at = at
    fields = ["status", "last_activity_at", "updated_at", *changes]
    stamp = WATERFALL.get(to_status)
    if stamp and getattr(lead, stamp) is None:
        setattr(lead, stamp, at)
        fields.append(stamp)
    lead.save(update_fields=fields)
    lead_days_apply(before=before, after=lead_day_rows(lead))
    if (from_status in ACCEPTED_OPEN_STATUSES) != (to_status in ACCEPTED_OPEN_STATUSES):
        lead_score_row_follow(lead=lead)
    _close_cold_episode(lead, at)
    lead_event_record(lead, EventKind.TRANSITION, by=by, note=note, from_status=from_status, to_status=to_status, at=at)
    if to_status in TRANSITION_EVENTS:
        moved = {"from_status": from_status, "to_status": to_status, "note": note}
        lead_event_emit(event_type=TRANSITION_EVENTS[to_status], lead=lead, by=by, **moved)
    return lead


def lead_open_handoff(lead) -> Handoff | None:
    """The handoff waiting for the rep's answer, if any."""
    return Handoff.objects.filter(lead=lead, outcome=HandoffOutcome.OPEN).first()


def _end_handoff(handoff, outcome, *, at, reason=None, note=""):
    handoff.outcome = outcome
    handoff.ended_at = at
    handoff.reject_reason = reason
    handoff.outcome_note = note
    handoff.save(update_fields=["outcome", "ended_at", "reject_reason", "outcome_note"])
    offers.offer_end(handoff=handoff, outcome=outcome, at=at)


@transaction.atomic
def lead_hand_off(*, lead: Lead, rep: User | None = None, note: str, by: User) -> Handoff:
    """Hand a lead to a rep (or, with no rep, to whoever the routing rules choose) with its story.

    Handing off a lead that already sits with a rep is a reassignment: only managers do that, and
    the old handoff ends as `reassigned`. The SLA clock starts now.
    """
    lead = lead_lock(lead)
    lead_action_require(lead=lead, user=by, action="hand_off")
    note = (note or "").strip()
    if not note:
        raise InvalidInput(
            "Tell the lead's story: a handoff needs a note.", fields={"note": ["This field is required."]}
        )
    if rep is not None and (rep.role != Role.REP or not rep.is_active):
        raise InvalidInput(f"{rep.username} is not a sales rep.", fields={"rep": ["Choose a sales rep."]})
    now = timezone.now()
    previous = lead_open_handoff(lead)
    # Reassigning to the rep who holds it would restart their clock for nothing; it is also how the
    # second of two managers reassigning at once (or a stale page) finds the work already done.
    if rep is not None and lead.owner_id == rep.id:
        raise TransitionNotAllowed(f"This lead is already with {rep.display_name}.")
    if previous is not None:
        _end_handoff(previous, HandoffOutcome.REASSIGNED, at=now, note=f"Reassigned by {by.display_name}.")

    rule = turn = None
    policy = sla_settings_get()
    offer_minutes = offers.offer_minutes_in_force(policy)
    if rep is None:
        # With offers on, nobody is offered a lead they turned down or let lapse before.
        exclude = offers.offers_excluded_reps([lead.id]).get(lead.id, set()) if offer_minutes > 0 else frozenset()
        rep, rule, turn, reason = lead_route(lead=lead, now=now, exclude=exclude)
        if rep is not None and offer_minutes > 0:
            reason = (
                f"Offer 1, for {offers.offer_describe_minutes(offer_minutes)}: {reason}"
                " Not accepted in time, it is offered to the next rep of the rule."
            )
    else:
        reason = f"Chosen by hand by {by.display_name}."
    handoff = Handoff.objects.create(
        lead=lead,
        by=by,
        to_rep=rep,
        note=note,
        created_at=now,
        sla_due_at=sla_deadline(start=now, hours=policy.sla_accept_hours, policy=policy),
        routing_rule=rule,
        routing_turn=turn,
        routing_reason=reason,
    )
    if rule is not None and rep is not None and offer_minutes > 0:
        offers.offer_open_first(handoff=handoff, now=now, policy=policy, minutes=offer_minutes)
    to_whom = rep.display_name if rep else "the managers' queue"
    _transition(lead, S.HANDED_OFF, by=by, note=f"Handed off to {to_whom}: {note}", at=now, changes={"owner": rep})
    leads_scores_refresh(lead_ids=[lead.pk])  # its touches now count up to this, the first, handoff
    if rep is not None:
        message = f"{by.display_name} handed you {lead}: {note}"
        url = reverse("leads:detail", args=[lead.id])
        chat_post_many(rows=[NotificationRow(rep.id, CHAT_HANDOFF, lead.id, message, url)])
        live_publish(
            rows=[LiveRow(rep.id, "handoff", {"lead": lead.id, "handoff": handoff.id, "message": message, "url": url})]
        )
    return handoff


@transaction.atomic
def lead_reassign(*, lead: Lead, rep: User, note: str, by: User) -> Handoff:
    """A manager moves a lead some rep holds to another rep: a new handoff, the old one ends as
    `reassigned`."""
    lead = lead_lock(lead)
    lead_action_require(lead=lead, user=by, action="reassign")
    return lead_hand_off(lead=lead, rep=rep, note=note, by=by)


def _refuse_moved_offer(handoff, by):
    """The rep's offer lapsed and the lead moved on (a moment ago, maybe): a 409 to reload."""
    refusal = offers.offer_refusal(handoff=handoff, user=by)
    if refusal is not None:
        raise refusal


@transaction.atomic
def lead_accept(*, lead: Lead, by: User) -> Lead:
    lead = lead_lock(lead)
    handoff = lead_open_handoff(lead)
    _refuse_moved_offer(handoff, by)
    lead_action_require(lead=lead, user=by, action="accept", open_handoff=handoff)
    now = timezone.now()
    _end_handoff(handoff, HandoffOutcome.ACCEPTED, at=now)
    return _transition(lead, S.ACCEPTED, by=by, at=now)


@transaction.atomic
def lead_reject(*, lead: Lead, by: User, reason, note: str = "") -> Lead:
    """The rep turns a handed-off lead down; it goes back to marketing with the reason. (Marketing
    hears of it through `feedback.services.lead_reject_with_feedback`, which the pages call.)"""
    reason = reason_code_active(reason)
    lead = lead_lock(lead)
    handoff = lead_open_handoff(lead)
    _refuse_moved_offer(handoff, by)
    lead_action_require(lead=lead, user=by, action="reject", open_handoff=handoff)
    now = timezone.now()
    note = (note or "").strip()
    _end_handoff(handoff, HandoffOutcome.REJECTED, at=now, reason=reason, note=note)
    text = f"Rejected: {reason.label}" + (f" — {note}" if note else "")
    return _transition(lead, S.REJECTED, by=by, note=text, at=now, changes={"owner": None})


@transaction.atomic
def lead_log_activity(*, lead: Lead, by: User, kind: str, note: str = "") -> LeadEvent:
    """A call, email, meeting or note by the owning rep. The first one starts the working stage."""
    if kind not in ACTIVITY_KINDS:
        raise InvalidInput(
            "Activity must be a call, email, meeting or note.", fields={"kind": [f"Unknown kind {kind!r}."]}
        )
    lead = lead_lock(lead)
    lead_action_require(lead=lead, user=by, action="activity")
    now = timezone.now()
    if lead.status == S.ACCEPTED:
        _transition(lead, S.WORKING, by=by, at=now)
    else:
        lead.last_activity_at = now
        lead.save(update_fields=["last_activity_at", "updated_at"])
        _close_cold_episode(lead, now)
    return lead_event_record(lead, kind, by=by, note=(note or "").strip(), at=now)


@transaction.atomic
def lead_qualify(*, lead: Lead, by: User) -> Lead:
    lead = lead_lock(lead)
    lead_action_require(lead=lead, user=by, action="qualify")
    return _transition(lead, S.QUALIFIED, by=by)


@transaction.atomic
def lead_win(*, lead: Lead, by: User, amount) -> Lead:
    try:
        amount = Decimal(str(amount).strip())
        if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e10"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise InvalidInput("Enter the deal's amount.", fields={"amount": ["Enter a positive amount."]}) from None
    lead = lead_lock(lead)
    lead_action_require(lead=lead, user=by, action="won")
    amount = amount.quantize(Decimal("0.01"))
    return _transition(lead, S.WON, by=by, note=f"Won: {amount:,.2f}", changes={"won_amount": amount})


@transaction.atomic
def lead_lose(*, lead: Lead, by: User, reason, note: str = "") -> Lead:
    reason = reason_code_active(reason)
    lead = lead_lock(lead)
    lead_action_require(lead=lead, user=by, action="lost")
    note = (note or "").strip()
    text = f"Lost: {reason.label}" + (f" — {note}" if note else "")
    return _transition(lead, S.LOST, by=by, note=text, changes={"lost_reason": reason})


@transaction.atomic
def lead_recycle(*, lead: Lead, by: User, reason: str, reengage_after: date | None = None) -> Lead:
    """Marketing takes a lead back to nurture, with why and when to try again."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the lead goes back to nurture.", fields={"reason": ["This field is required."]})
    if reengage_after is not None and reengage_after <= company_today():
        raise InvalidInput(
            "The re-engage date must be in the future.", fields={"reengage_after": ["Pick a later date."]}
        )
    if reengage_after is not None and reengage_after > company_today() + MAX_REENGAGE:
        raise InvalidInput(
            "Re-engage within three years.", fields={"reengage_after": ["Pick a date within three years."]}
        )
    lead = lead_lock(lead)
    lead_action_require(lead=lead, user=by, action="recycle")
    now = timezone.now()
    handoff = lead_open_handoff(lead)
    if handoff is not None:
        _end_handoff(handoff, HandoffOutcome.REASSIGNED, at=now, note="Taken back to nurture by marketing.")
    changes = {
        "owner": None,
        "recycle_count": lead.recycle_count + 1,
        "recycle_reason": reason,
        "reengage_after": reengage_after,
    }
    return _transition(lead, S.NURTURE, by=by, note=f"Recycled to nurture: {reason}", at=now, changes=changes)


@transaction.atomic
def lead_snooze(*, lead: Lead, by: User, until: datetime, reason: str) -> Lead:
    """The owning rep pauses going cold until a moment, for a reason marketing can read."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why you snooze the lead.", fields={"reason": ["This field is required."]})
    now = timezone.now()
    if until <= now:
        raise InvalidInput("Snooze until a moment in the future.", fields={"until": ["Pick a later time."]})
    if until > now + MAX_SNOOZE:
        raise InvalidInput(
            "Snooze for a year at most: a lead parked longer belongs back in marketing's nurture.",
            fields={"until": ["Pick a date within a year."]},
        )
    lead = lead_lock(lead)
    lead_action_require(lead=lead, user=by, action="snooze")
    lead.snoozed_until = until
    lead.snooze_reason = reason
    lead.save(update_fields=["snoozed_until", "snooze_reason", "updated_at"])
    _close_cold_episode(lead, now)
    lead_event_record(
        lead,
        EventKind.SNOOZE,
        by=by,
        note=f"Snoozed until {date_text(until, 'SHORT_DATETIME_FORMAT')}: {reason}",
        at=now,
    )
    return lead
