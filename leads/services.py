"""Writes on leads: capture, handoff, and the one lifecycle every lead follows.

Every change to a lead goes through a function here, which locks the lead's row, checks the move
against TRANSITIONS, writes the change and its timeline event in one transaction.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone

from alignment.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from alignment.models import Role, User, Vertical
from alignment.sla import sla_deadline, sla_settings_get
from feedback.models import FeedbackKind, Verdict
from feedback.services import feedback_item_open
from leads.models import (
    ACTIVITY_KINDS,
    Campaign,
    CaptureChannel,
    ColdEpisode,
    EventKind,
    Handoff,
    HandoffOutcome,
    Lead,
    LeadEvent,
    LeadStatus,
    RoutingRule,
    Touch,
)
from leads.rollup import lead_day_rows, lead_days_apply

S = LeadStatus

# The lead lifecycle: from each status, where a lead may go next.
TRANSITIONS = {
    S.NEW: {S.HANDED_OFF, S.NURTURE},
    S.HANDED_OFF: {S.ACCEPTED, S.REJECTED, S.HANDED_OFF, S.NURTURE},
    S.ACCEPTED: {S.WORKING, S.QUALIFIED, S.LOST, S.HANDED_OFF, S.NURTURE},
    S.WORKING: {S.QUALIFIED, S.LOST, S.HANDED_OFF, S.NURTURE},
    S.QUALIFIED: {S.WON, S.LOST, S.HANDED_OFF, S.NURTURE},
    S.REJECTED: {S.HANDED_OFF, S.NURTURE},
    S.LOST: {S.NURTURE},
    S.NURTURE: {S.HANDED_OFF},
    S.WON: set(),
}

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

CONTACT_FIELDS = ("name", "company", "title", "phone", "country", "region", "notes", "pain_points")


def lead_normalise_email(email) -> str:
    return str(email or "").strip().lower()


def _clean_capture_data(data) -> dict:
    """Validate and normalise contact fields; raise InvalidInput with every field's problem."""
    errors = {}
    clean = {}
    email = lead_normalise_email(data.get("email"))
    if not email:
        errors["email"] = ["An email address is required."]
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = ["Enter a valid email address."]
    clean["email"] = email
    limits = {f.name: f.max_length for f in Lead._meta.fields if f.name in CONTACT_FIELDS}
    for name in CONTACT_FIELDS:
        value = data.get(name)
        value = "" if value is None else str(value).strip()
        if limits.get(name) and len(value) > limits[name]:
            errors[name] = [f"At most {limits[name]} characters."]
        clean[name] = value
    clean["country"] = clean["country"].upper()
    if clean["country"] and (len(clean["country"]) != 2 or not clean["country"].isalpha()):
        errors["country"] = ["Use a two-letter country code, e.g. DE."]
    value = data.get("estimated_value")
    if value in (None, ""):
        clean["estimated_value"] = None
    else:
        try:
            amount = Decimal(str(value).strip())
            if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
                raise InvalidOperation
            clean["estimated_value"] = amount.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            errors["estimated_value"] = ["Enter a positive amount."]
    industry = data.get("industry")
    if isinstance(industry, Vertical) or industry in (None, ""):
        clean["industry"] = industry or None
    else:
        name = str(industry).strip()
        if len(name) > 100:
            errors["industry"] = ["At most 100 characters."]
        else:
            clean["industry"] = Vertical.objects.filter(name__iexact=name).first() or Vertical(name=name)
    if errors:
        first = next(iter(errors.items()))
        raise InvalidInput(f"{first[0]}: {first[1][0]}", fields=errors)
    return clean


def _event(lead, kind, *, by=None, note="", from_status="", to_status="", at=None) -> LeadEvent:
    return LeadEvent.objects.create(
        lead=lead,
        kind=kind,
        actor=by,
        note=note,
        from_status=from_status,
        to_status=to_status,
        at=at or timezone.now(),
    )


@transaction.atomic
def lead_capture(*, data, campaign: Campaign, by: User | None, channel=CaptureChannel.FORM):
    """Capture a lead, or record a touch on the lead that already has this email.

    Returns `(lead, created)`. The unique email is the guard against concurrent captures of one
    person: the loser of the race finds the winner's row and records a touch on it.
    """
    if by is not None and by.role not in (Role.MARKETER, Role.MANAGER):
        raise NotAllowed("Only marketers and managers capture leads.")
    clean = _clean_capture_data(data)
    industry = clean.pop("industry", None)
    if industry is not None and industry.pk is None:
        industry, _ = Vertical.objects.get_or_create(name=industry.name)
    now = timezone.now()
    try:
        with transaction.atomic():
            lead = Lead.objects.create(
                **clean,
                industry=industry,
                campaign=campaign,
                source=campaign.source,
                captured_by=by if by is not None and by.role == Role.MARKETER else campaign.owner,
                captured_at=now,
                last_touch_at=now,
                last_activity_at=now,
            )
    except IntegrityError:
        lead = Lead.objects.select_for_update().filter(email=clean["email"]).first()
        if lead is None:  # not the email that clashed: let it surface
            raise
        return _lead_touch(lead=lead, clean=clean, industry=industry, campaign=campaign, by=by, channel=channel), False
    lead_days_apply(before={}, after=lead_day_rows(lead))
    Touch.objects.create(lead=lead, campaign=campaign, channel=channel, by=by, at=now)
    _event(lead, EventKind.CAPTURED, by=by, to_status=S.NEW, note=f"Captured via {channel.label} ({campaign.name}).")
    return lead, True


def _lead_touch(*, lead, clean, industry, campaign, by, channel) -> Lead:
    """Another capture of a known person: count it, fill in what we did not know, overwrite nothing."""
    now = timezone.now()
    lead.touch_count = F("touch_count") + 1
    lead.last_touch_at = now
    changed = ["touch_count", "last_touch_at", "updated_at"]
    for name, value in clean.items():
        if name != "email" and value not in ("", None) and getattr(lead, name) in ("", None):
            setattr(lead, name, value)
            changed.append(name)
    if industry is not None and lead.industry_id is None:
        lead.industry = industry
        changed.append("industry")
    lead.save(update_fields=changed)
    lead.refresh_from_db(fields=["touch_count"])
    Touch.objects.create(lead=lead, campaign=campaign, channel=channel, by=by, at=now)
    _event(lead, EventKind.TOUCH, by=by, note=f"Captured again via {channel.label} ({campaign.name}).")
    return lead


def _lock(lead) -> Lead:
    return Lead.objects.select_for_update().get(pk=lead.pk)


def _close_cold_episode(lead, at):
    ColdEpisode.objects.filter(lead=lead, closed_at__isnull=True).update(closed_at=at)


def _transition(lead, to_status, *, by, note="", at=None, changes=None) -> Lead:
    """Move a locked lead to `to_status`: check the table, apply `changes` (field name → value),
    stamp the waterfall, keep the dashboard's roll-up in step and record the event."""
    if to_status not in TRANSITIONS[lead.status]:
        raise TransitionNotAllowed(
            f"A lead that is {lead.get_status_display().lower()} cannot become {S(to_status).label.lower()}."
        )
    at = at or timezone.now()
    changes = changes or {}
    # A new owner moves the lead's current verdict in the roll-up too; otherwise it stays put.
    verdict = None
    if "owner" in changes and getattr(changes["owner"], "pk", None) != lead.owner_id:
        verdict = Verdict.objects.filter(lead=lead, current=True).first()
    before = lead_day_rows(lead, verdict)
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
    lead_days_apply(before=before, after=lead_day_rows(lead, verdict))
    _close_cold_episode(lead, at)
    _event(lead, EventKind.TRANSITION, by=by, note=note, from_status=from_status, to_status=to_status, at=at)
    return lead


def _open_handoff(lead) -> Handoff | None:
    return Handoff.objects.filter(lead=lead, outcome=HandoffOutcome.OPEN).first()


def _end_handoff(handoff, outcome, *, at, reason=None, note=""):
    handoff.outcome = outcome
    handoff.ended_at = at
    handoff.reject_reason = reason
    handoff.outcome_note = note
    handoff.save(update_fields=["outcome", "ended_at", "reject_reason", "outcome_note"])


def _require_owner_rep(lead, by):
    if by.role != Role.REP or lead.owner_id != by.id:
        raise NotAllowed("Only the rep who owns this lead may do this.")


# --- handoff and routing ---------------------------------------------------------------------


def _rep_load_this_month(rep_ids, now):
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Handoff.objects.filter(to_rep_id__in=rep_ids, created_at__gte=start).values("to_rep_id").annotate(n=Count("id"))
    )
    return {row["to_rep_id"]: row["n"] for row in rows}


def _rule_matches(rule, lead):
    if rule.country and rule.country.upper() != (lead.country or "").upper():
        return False
    if rule.region and rule.region.lower() != (lead.region or "").lower():
        return False
    return not (rule.vertical_id and rule.vertical_id != lead.industry_id)


def _rule_criteria(rule):
    parts = []
    if rule.country:
        parts.append(f"country {rule.country}" + (f"/{rule.region}" if rule.region else ""))
    if rule.vertical_id:
        parts.append(f"vertical {rule.vertical.name}")
    return ", ".join(parts) or "any lead"


def lead_route(*, lead: Lead, now=None):
    """Choose the rep for a lead by the routing rules. Returns `(rep, rule, turn, reason)`.

    Must run inside the handoff's transaction: the matching rule's row is locked while its turn
    advances, so concurrent handoffs queue up for turns instead of sharing one.
    """
    now = now or timezone.now()
    skipped = []
    for rule in RoutingRule.objects.filter(active=True).select_related("vertical"):
        if not _rule_matches(rule, lead):
            continue
        rule = RoutingRule.objects.select_for_update(of=("self",)).select_related("vertical").get(pk=rule.pk)
        reps = list(rule.reps.filter(role=Role.REP, is_active=True).order_by("id"))
        load = _rep_load_this_month([r.id for r in reps], now)
        eligible = []
        for rep in reps:
            if not rep.available:
                skipped.append(f"{rep.display_name} (out of office)")
            elif rep.monthly_capacity is not None and load.get(rep.id, 0) >= rep.monthly_capacity:
                skipped.append(f"{rep.display_name} (at capacity, {load.get(rep.id, 0)}/{rep.monthly_capacity})")
            else:
                eligible.append(rep)
        if not eligible:
            continue
        after = [r for r in eligible if rule.last_rep_id is None or r.id > rule.last_rep_id]
        rep = (after or eligible)[0]
        rule.turns += 1
        rule.last_rep = rep
        rule.save(update_fields=["turns", "last_rep"])
        reason = (
            f"Rule “{rule.name}” ({_rule_criteria(rule)}), turn {rule.turns}: "
            f"{rep.display_name} was next in the round-robin of {len(eligible)} available rep"
            f"{'s' if len(eligible) != 1 else ''}."
        )
        if skipped:
            reason += " Skipped: " + "; ".join(skipped) + "."
        return rep, rule, rule.turns, reason
    reason = "No routing rule had an available rep under capacity for this lead"
    reason += f" ({', '.join(skipped)})." if skipped else "."
    return None, None, None, reason + " It waits in the managers' queue."


@transaction.atomic
def lead_hand_off(*, lead: Lead, rep: User | None = None, note: str, by: User) -> Handoff:
    """Hand a lead to a rep (or, with no rep, to whoever the routing rules choose) with its story.

    Handing off a lead that already sits with a rep is a reassignment: only managers do that, and
    the old handoff ends as `reassigned`. The SLA clock starts now.
    """
    if by.role not in (Role.MARKETER, Role.MANAGER):
        raise NotAllowed("Only marketers and managers hand off leads.")
    note = (note or "").strip()
    if not note:
        raise InvalidInput(
            "Tell the lead's story: a handoff needs a note.", fields={"note": ["This field is required."]}
        )
    if rep is not None and (rep.role != Role.REP or not rep.is_active):
        raise InvalidInput(f"{rep.username} is not a sales rep.", fields={"rep": ["Choose a sales rep."]})
    lead = _lock(lead)
    if S.HANDED_OFF not in TRANSITIONS[lead.status]:
        raise TransitionNotAllowed(f"A lead that is {lead.get_status_display().lower()} cannot be handed off.")
    now = timezone.now()
    previous = _open_handoff(lead)
    reassigning = lead.status in (S.HANDED_OFF, S.ACCEPTED, S.WORKING, S.QUALIFIED)
    if reassigning and by.role != Role.MANAGER:
        raise NotAllowed("This lead is already with a rep: only a manager can reassign it.")
    if previous is not None:
        _end_handoff(previous, HandoffOutcome.REASSIGNED, at=now, note=f"Reassigned by {by.display_name}.")

    rule = turn = None
    if rep is None:
        rep, rule, turn, reason = lead_route(lead=lead, now=now)
    else:
        reason = f"Chosen by hand by {by.display_name}."
    policy = sla_settings_get()
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
    to_whom = rep.display_name if rep else "the managers' queue"
    _transition(lead, S.HANDED_OFF, by=by, note=f"Handed off to {to_whom}: {note}", at=now, changes={"owner": rep})
    return handoff


@transaction.atomic
def lead_accept(*, lead: Lead, by: User) -> Lead:
    lead = _lock(lead)
    handoff = _open_handoff(lead)
    if handoff is None or lead.status != S.HANDED_OFF:
        raise TransitionNotAllowed("This lead is not waiting to be accepted.")
    if handoff.to_rep_id != by.id:
        raise NotAllowed("Only the rep this lead was handed to may accept it.")
    now = timezone.now()
    _end_handoff(handoff, HandoffOutcome.ACCEPTED, at=now)
    return _transition(lead, S.ACCEPTED, by=by, at=now)


def _reason_code(reason):
    from feedback.models import ReasonCode

    if isinstance(reason, ReasonCode):
        code = reason
    else:
        code = ReasonCode.objects.filter(code=str(reason or "").strip()).first()
    if code is None or not code.active:
        raise InvalidInput("Choose one of the reason codes.", fields={"reason": ["Unknown or retired reason code."]})
    return code


@transaction.atomic
def lead_reject(*, lead: Lead, by: User, reason, note: str = "") -> Lead:
    """The rep turns a handed-off lead down; it goes back to marketing with the reason."""
    reason = _reason_code(reason)
    lead = _lock(lead)
    handoff = _open_handoff(lead)
    if handoff is None or lead.status != S.HANDED_OFF:
        raise TransitionNotAllowed("This lead is not waiting to be accepted or rejected.")
    if handoff.to_rep_id != by.id:
        raise NotAllowed("Only the rep this lead was handed to may reject it.")
    now = timezone.now()
    note = (note or "").strip()
    _end_handoff(handoff, HandoffOutcome.REJECTED, at=now, reason=reason, note=note)
    text = f"Rejected: {reason.label}" + (f" — {note}" if note else "")
    _transition(lead, S.REJECTED, by=by, note=text, at=now, changes={"owner": None})
    feedback_item_open(lead=lead, kind=FeedbackKind.REJECTED, by=by, reason=reason, note=note)
    return lead


@transaction.atomic
def lead_log_activity(*, lead: Lead, by: User, kind: str, note: str = "") -> LeadEvent:
    """A call, email, meeting or note by the owning rep. The first one starts the working stage."""
    if kind not in ACTIVITY_KINDS:
        raise InvalidInput(
            "Activity must be a call, email, meeting or note.", fields={"kind": [f"Unknown kind {kind!r}."]}
        )
    lead = _lock(lead)
    _require_owner_rep(lead, by)
    if lead.status not in (S.ACCEPTED, S.WORKING, S.QUALIFIED):
        raise TransitionNotAllowed("Accept the lead before logging activity on it.")
    now = timezone.now()
    if lead.status == S.ACCEPTED:
        _transition(lead, S.WORKING, by=by, at=now)
    else:
        lead.last_activity_at = now
        lead.save(update_fields=["last_activity_at", "updated_at"])
        _close_cold_episode(lead, now)
    return _event(lead, kind, by=by, note=(note or "").strip(), at=now)


@transaction.atomic
def lead_qualify(*, lead: Lead, by: User) -> Lead:
    lead = _lock(lead)
    _require_owner_rep(lead, by)
    return _transition(lead, S.QUALIFIED, by=by)


@transaction.atomic
def lead_win(*, lead: Lead, by: User, amount) -> Lead:
    try:
        amount = Decimal(str(amount).strip())
        if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e10"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise InvalidInput("Enter the deal's amount.", fields={"amount": ["Enter a positive amount."]}) from None
    lead = _lock(lead)
    _require_owner_rep(lead, by)
    amount = amount.quantize(Decimal("0.01"))
    note = f"Won: {amount:,.2f}"
    _transition(lead, S.WON, by=by, note=note, changes={"won_amount": amount})
    feedback_item_open(lead=lead, kind=FeedbackKind.WON, by=by, note=note)
    return lead


@transaction.atomic
def lead_lose(*, lead: Lead, by: User, reason, note: str = "") -> Lead:
    reason = _reason_code(reason)
    lead = _lock(lead)
    _require_owner_rep(lead, by)
    note = (note or "").strip()
    text = f"Lost: {reason.label}" + (f" — {note}" if note else "")
    _transition(lead, S.LOST, by=by, note=text, changes={"lost_reason": reason})
    feedback_item_open(lead=lead, kind=FeedbackKind.LOST, by=by, reason=reason, note=note)
    return lead


@transaction.atomic
def lead_recycle(*, lead: Lead, by: User, reason: str, reengage_after: date | None = None) -> Lead:
    """Marketing takes a lead back to nurture, with why and when to try again."""
    if by.role not in (Role.MARKETER, Role.MANAGER):
        raise NotAllowed("Only marketers and managers recycle leads.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the lead goes back to nurture.", fields={"reason": ["This field is required."]})
    if reengage_after is not None and reengage_after <= timezone.localdate():
        raise InvalidInput(
            "The re-engage date must be in the future.", fields={"reengage_after": ["Pick a later date."]}
        )
    if reengage_after is not None and reengage_after > timezone.localdate() + MAX_REENGAGE:
        raise InvalidInput(
            "Re-engage within three years.", fields={"reengage_after": ["Pick a date within three years."]}
        )
    lead = _lock(lead)
    if S.NURTURE not in TRANSITIONS[lead.status]:
        raise TransitionNotAllowed(f"A lead that is {lead.get_status_display().lower()} cannot be recycled.")
    now = timezone.now()
    handoff = _open_handoff(lead)
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
    lead = _lock(lead)
    _require_owner_rep(lead, by)
    if not lead.is_open:
        raise TransitionNotAllowed("Only open leads can be snoozed.")
    lead.snoozed_until = until
    lead.snooze_reason = reason
    lead.save(update_fields=["snoozed_until", "snooze_reason", "updated_at"])
    _close_cold_episode(lead, now)
    _event(lead, EventKind.SNOOZE, by=by, note=f"Snoozed until {until:%Y-%m-%d %H:%M}: {reason}", at=now)
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, data: dict, by: User) -> Lead:
    """Marketing fixes a lead's contact data; the timeline says what changed."""
    if by.role not in (Role.MARKETER, Role.MANAGER):
        raise NotAllowed("Only marketers and managers edit lead data.")
    lead = _lock(lead)
    current = {name: getattr(lead, name) for name in CONTACT_FIELDS}
    current.update(email=lead.email, estimated_value=lead.estimated_value, industry=lead.industry)
    clean = _clean_capture_data({**current, **data})
    industry = clean.pop("industry", None)
    if industry is not None and industry.pk is None:
        industry, _ = Vertical.objects.get_or_create(name=industry.name)
    clean["industry"] = industry
    changed = [name for name, value in clean.items() if getattr(lead, name) != value]
    if not changed:
        return lead
    if "email" in changed and Lead.objects.filter(email=clean["email"]).exclude(pk=lead.pk).exists():
        raise InvalidInput("Another lead already has this email.", fields={"email": ["Already captured."]})
    for name in changed:
        setattr(lead, name, clean[name])
    lead.save(update_fields=[*changed, "updated_at"])
    _event(lead, EventKind.EDIT, by=by, note="Changed " + ", ".join(n.replace("_", " ") for n in changed) + ".")
    return lead
