"""Writes of the closed loop: verdicts, feedback items, replies, resolutions and reason codes.

Every outcome sales gives a lead (a verdict, a rejection, a loss, a win) flows back to the marketer
who sent it as a feedback item. Bad news opens a conversation that must be answered and resolved;
good news is recorded for the marketer without needing an answer. The lead itself only ever changes
through `leads.services`, so its state machine stays in one place: a rejection, a loss or a win
that tells marketing is the lead service plus the item, in one transaction (`lead_*_with_feedback`).
"""

from datetime import date, datetime

from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from alignment.days import date_text
from alignment.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from alignment.models import NotificationKind, Role, User
from alignment.services import NotificationRow, notification_create, notification_create_many
from alignment.sla import duration_describe
from feedback.models import FeedbackItem, FeedbackKind, FeedbackReply, FeedbackStatus, Resolution, Verdict
from feedback.rollup import counts_reason, lead_bad_reasons_refresh, reason_days_change, verdict_figures_apply
from feedback.selectors import feedback_overdue_cutoff
from feedback.themes import pain_themes_active
from leads import capture as lead_capture
from leads import services as lead_services
from leads.lifecycle import lead_action_require, verdict_value_clean
from leads.models import LEAD_DATA_FIELDS, EventKind, Lead, LeadStatus, ReasonCode, VerdictValue
from leads.reason_codes import reason_code_active
from leads.webhooks import lead_event_emit

S = LeadStatus


# Lead fields a marketer may fix while resolving an item as "data fixed".
FIXABLE_FIELDS = LEAD_DATA_FIELDS

# Which resolutions fit which item: a request is answered, everything else changes the lead or not.
_ACTING = (Resolution.FIXED_DATA, Resolution.RECYCLED, Resolution.CAMPAIGN_CHANGED, Resolution.DISPUTED)
RESOLUTIONS_FOR_KIND = {
    FeedbackKind.REQUEST: (Resolution.ANSWERED,),
    FeedbackKind.BAD_VERDICT: _ACTING,
    FeedbackKind.REJECTED: _ACTING,
    FeedbackKind.LOST: _ACTING,
}


def _item_url(item) -> str:
    return reverse("feedback:item", args=[item.pk])


def _feedback_notify(recipient: User, item: FeedbackItem, *, lead: Lead, actor: User, message: str) -> None:
    """Tell one side of the conversation about `item`, linking to it, and who spoke."""
    notification_create(
        recipient=recipient,
        kind=NotificationKind.FEEDBACK,
        message=message,
        lead=lead,
        url=_item_url(item),
        actor=actor,
    )


def _marketer_for(lead) -> User:
    """The marketer who captured the lead; the campaign's owner when nobody in marketing did
    (a public web form, an import by a manager, an account since retired)."""
    captured_by = lead.captured_by
    if captured_by is not None and captured_by.is_active and captured_by.role == Role.MARKETER:
        return captured_by
    return lead.campaign.owner


# --- opening items ----------------------------------------------------------------------------

OUTCOME_KINDS = {
    FeedbackKind.BAD_VERDICT: FeedbackStatus.OPEN,
    FeedbackKind.REJECTED: FeedbackStatus.OPEN,
    FeedbackKind.LOST: FeedbackStatus.OPEN,
    FeedbackKind.GOOD_VERDICT: FeedbackStatus.INFO,
    FeedbackKind.WON: FeedbackStatus.INFO,
}


def _feedback_event_emit(event_type: str, item: FeedbackItem, *, by: User) -> None:
    feedback = {
        "id": item.id,
        "kind": item.kind,
        "status": item.status,
        "reason": item.reason.code if item.reason_id else None,
        "note": item.note,
        "resolution": item.resolution or None,
        "resolution_note": item.resolution_note,
    }
    lead_event_emit(event_type=event_type, lead=item.lead, by=by, refresh=True, feedback=feedback)


def feedback_item_open(
    *, lead: Lead, kind: str, by: User, reason: ReasonCode | None = None, note: str = "", verdict=None
) -> FeedbackItem:
    """Tell marketing how sales judged a lead: called by the services that reject, lose and win
    leads, and by `verdict_give`, inside their transactions.

    Bad news (a bad verdict, a rejection, a loss) opens an item that waits for the marketer's
    answer; good news (a good verdict, a win) is recorded as information that needs none.
    """
    if kind not in OUTCOME_KINDS:
        raise InvalidInput(f"Feedback of kind {kind!r} is not opened from a lead's outcome.")
    now = timezone.now()
    marketer = _marketer_for(lead)
    status = OUTCOME_KINDS[kind]
    item = FeedbackItem.objects.create(
        lead=lead,
        kind=kind,
        assignee=marketer,
        marketer=marketer,
        rep=by if by.role == Role.REP else None,
        opened_by=by,
        verdict=verdict,
        reason=reason,
        note=(note or "").strip(),
        status=status,
        created_at=now,
    )
    if counts_reason(kind, item.reason_id):
        reason_days_change(lead=lead, after=[item.reason_id])
        lead_bad_reasons_refresh([lead.pk])
    label = FeedbackKind(kind).label.lower()
    message = f"{by.display_name}: {lead} — {label}" + (f" ({reason.label})" if reason else "")
    if status == FeedbackStatus.OPEN:
        message += ". Your answer is needed."
    _feedback_notify(marketer, item, lead=lead, actor=by, message=message)
    _feedback_event_emit("feedback.created", item, by=by)
    return item


@transaction.atomic
def feedback_request(*, lead: Lead, by: User, note: str) -> FeedbackItem:
    """Marketing asks the rep who holds a lead how it is going; the question waits in the rep's
    queue until the rep gives a verdict (which answers it) or the marketer closes it."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput("Say what you would like to know.", fields={"note": ["This field is required."]})
    lead = lead_services.lead_lock(lead)
    lead_action_require(lead=lead, user=by, action="request_feedback")
    if FeedbackItem.objects.filter(lead=lead, kind=FeedbackKind.REQUEST, status=FeedbackStatus.OPEN).exists():
        raise TransitionNotAllowed("Feedback on this lead has already been requested and not yet answered.")
    now = timezone.now()
    try:
        with transaction.atomic():
            item = FeedbackItem.objects.create(
                lead=lead,
                kind=FeedbackKind.REQUEST,
                assignee=lead.owner,
                marketer=by,
                rep=lead.owner,
                opened_by=by,
                note=note,
                created_at=now,
            )
    except IntegrityError:
        raise TransitionNotAllowed("Feedback on this lead has already been requested and not yet answered.") from None
    lead_services.lead_event_record(lead, EventKind.FEEDBACK, by=by, note=f"Feedback requested: {note}", at=now)
    _feedback_notify(
        lead.owner, item, lead=lead, actor=by, message=f"{by.display_name} asks how {lead} is going: {note}"
    )
    _feedback_event_emit("feedback.created", item, by=by)
    return item


# --- outcomes that tell marketing ---------------------------------------------------------------


@transaction.atomic
def lead_reject_with_feedback(*, lead: Lead, by: User, reason, note: str = "") -> Lead:
    """The rep turns a handed-off lead down, and the marketer who sent it gets an item to answer."""
    reason = reason_code_active(reason)
    lead = lead_services.lead_reject(lead=lead, by=by, reason=reason, note=note)
    feedback_item_open(lead=lead, kind=FeedbackKind.REJECTED, by=by, reason=reason, note=note)
    return lead


@transaction.atomic
def lead_lose_with_feedback(*, lead: Lead, by: User, reason, note: str = "") -> Lead:
    """The rep marks the lead lost, and the marketer who sent it gets an item to answer."""
    reason = reason_code_active(reason)
    lead = lead_services.lead_lose(lead=lead, by=by, reason=reason, note=note)
    feedback_item_open(lead=lead, kind=FeedbackKind.LOST, by=by, reason=reason, note=note)
    return lead


@transaction.atomic
def lead_win_with_feedback(*, lead: Lead, by: User, amount) -> Lead:
    """The rep wins the lead, and the marketer who sent it hears the good news."""
    lead = lead_services.lead_win(lead=lead, by=by, amount=amount)
    feedback_item_open(lead=lead, kind=FeedbackKind.WON, by=by, note=f"Won: {lead.won_amount:,.2f}")
    return lead


# --- verdicts ---------------------------------------------------------------------------------


@transaction.atomic
def verdict_give(
    *, lead: Lead, by: User, verdict: str, reason=None, note: str = "", pain_points: str = "", pain_themes=()
) -> Verdict:
    """The rep who owns a lead judges it good or bad. A bad verdict needs a reason.

    Giving another verdict revises the judgement: the earlier one stays in the history and stops
    being current. A bad verdict opens a feedback item for the marketer (an item still open from an
    earlier bad verdict is updated and told about the revision instead of opening a second one); a
    good one is good news for them. Either answers an open request for feedback on the lead.
    """
    verdict = verdict_value_clean(verdict)
    reason = reason_code_active(reason, required=verdict == VerdictValue.BAD)
    note = (note or "").strip()
    pain_points = (pain_points or "").strip()
    themes = pain_themes_active(pain_themes)
    lead = lead_services.lead_lock(lead)
    lead_action_require(lead=lead, user=by, action="verdict")
    now = timezone.now()
    previous = Verdict.objects.filter(lead=lead, current=True).first()
    if previous is not None:
        previous.current = False
        previous.save(update_fields=["current"])
    row = Verdict.objects.create(
        lead=lead,
        rep=by,
        verdict=verdict,
        reason=reason,
        note=note,
        pain_points=pain_points,
        current=True,
        created_at=now,
    )
    if themes:
        row.pain_themes.set(themes)
    # An open conversation about an earlier bad verdict carries on with the revision; a bad one
    # makes its item stand for the revised reason, which the scorecard counts.
    open_bad = FeedbackItem.objects.filter(lead=lead, kind=FeedbackKind.BAD_VERDICT, status=FeedbackStatus.OPEN).first()
    revises_reason = open_bad is not None and verdict == VerdictValue.BAD
    item_reasons = ([open_bad.reason_id] if open_bad.reason_id else [], [reason.pk]) if revises_reason else ((), ())
    verdict_figures_apply(
        lead=lead, verdict=verdict, at=now, item_reasons=item_reasons, themes=[theme.pk for theme in themes]
    )
    label = VerdictValue(verdict).label
    text = f"{'Revised verdict' if previous else 'Verdict'}: {label}" + (f" ({reason.label})" if reason else "")
    lead_services.lead_event_record(lead, EventKind.VERDICT, by=by, note=text + (f" — {note}" if note else ""), at=now)

    if open_bad is not None:
        _verdict_revision_reply(open_bad, row, lead=lead, by=by, text=text + (f" — {note}" if note else ""), at=now)
        if item_reasons[0] != item_reasons[1]:
            lead_bad_reasons_refresh([lead.pk])
    if open_bad is None or verdict == VerdictValue.GOOD:
        kind = FeedbackKind.BAD_VERDICT if verdict == VerdictValue.BAD else FeedbackKind.GOOD_VERDICT
        feedback_item_open(lead=lead, kind=kind, by=by, reason=reason, note=note, verdict=row)
    _feedback_requests_answer(lead, row, by=by, label=label, at=now)
    given = {"id": row.id, "verdict": verdict, "reason": reason.code if reason else None, "note": note}
    lead_event_emit(event_type="verdict.given", lead=lead, by=by, verdict=given)
    return row


def _verdict_revision_reply(item: FeedbackItem, row: Verdict, *, lead: Lead, by: User, text: str, at) -> None:
    """The revised verdict, as a reply on the open item about the earlier bad one; a bad revision
    makes the item stand for it. The marketer is told."""
    FeedbackReply.objects.create(item=item, author=by, body=text, created_at=at)
    item.last_reply_at = at
    fields = ["last_reply_at"]
    if row.verdict == VerdictValue.BAD:
        item.verdict, item.reason, item.note = row, row.reason, row.note
        fields += ["verdict", "reason", "note"]
    item.save(update_fields=fields)
    _feedback_notify(
        item.marketer,
        item,
        lead=lead,
        actor=by,
        message=f"{by.display_name} revised the verdict on {lead}: {VerdictValue(row.verdict).label}.",
    )


def _feedback_requests_answer(lead: Lead, row: Verdict, *, by: User, label: str, at) -> None:
    """A verdict answers every open request for feedback on the lead."""
    for request in FeedbackItem.objects.filter(lead=lead, kind=FeedbackKind.REQUEST, status=FeedbackStatus.OPEN):
        request.status = FeedbackStatus.RESOLVED
        request.resolution = Resolution.ANSWERED
        request.resolution_note = f"Answered with a verdict: {label}."
        request.resolved_by = by
        request.resolved_at = at
        request.verdict = row
        request.save(update_fields=["status", "resolution", "resolution_note", "resolved_by", "resolved_at", "verdict"])
        _feedback_event_emit("feedback.resolved", request, by=by)


# --- the conversation -------------------------------------------------------------------------


def _side(item: FeedbackItem, user: User) -> str | None:
    if user.role == Role.MANAGER:
        return "manager"
    if user.id == item.marketer_id:
        return "marketer"
    if user.id == item.rep_id:
        return "rep"
    return None


@transaction.atomic
def feedback_reply(*, item: FeedbackItem, by: User, body: str) -> FeedbackReply:
    """Either side of the conversation (or a manager) adds to it; the other side is told."""
    body = (body or "").strip()
    if not body:
        raise InvalidInput("Write a reply.", fields={"body": ["This field is required."]})
    if len(body) > 10_000:
        raise InvalidInput("A reply is at most 10,000 characters.", fields={"body": ["Too long."]})
    item = (
        FeedbackItem.objects.select_for_update(of=("self",)).select_related("lead", "marketer", "rep").get(pk=item.pk)
    )
    side = _side(item, by)
    if side is None:
        raise NotAllowed("Only the marketer and the rep in this conversation (or a manager) may reply.")
    if item.status == FeedbackStatus.RESOLVED:
        raise TransitionNotAllowed("This feedback item is resolved; the conversation is closed.")
    now = timezone.now()
    reply = FeedbackReply.objects.create(item=item, author=by, body=body, created_at=now)
    item.last_reply_at = now
    item.save(update_fields=["last_reply_at"])
    recipients = {item.marketer, item.rep} - {None, by}
    if side == "marketer":
        recipients.discard(item.marketer)
    elif side == "rep":
        recipients.discard(item.rep)
    for recipient in sorted(recipients, key=lambda u: u.id):
        _feedback_notify(
            recipient, item, lead=item.lead, actor=by, message=f"{by.display_name} replied on {item.lead}: {body[:200]}"
        )
    return reply


# --- resolution -------------------------------------------------------------------------------


def _clean_fix(data) -> dict:
    if not isinstance(data, dict) or not data:
        raise InvalidInput(
            "Say which of the lead's fields to fix.", fields={"data": ["Give at least one field and its new value."]}
        )
    unknown = sorted(set(data) - set(FIXABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            f"These fields cannot be fixed here: {', '.join(unknown)}.",
            fields={"data": [f"Unknown field {name!r}." for name in unknown]},
        )
    return dict(data)


def _dispute_takes_back(lead: Lead, item: FeedbackItem) -> bool:
    """Whether a dispute must take the lead back through nurture to hand it off again.

    A rejected or nurtured lead can be handed off as it is, and one meanwhile handed to somebody
    else stays with them: a dispute leaves those alone. A lead still with the rep who judged it
    (handed off, accepted, working, qualified) or lost has no way back to marketing but nurture,
    so only then does the dispute go through it (and count as a recycle).
    """
    if lead.status in (S.REJECTED, S.NURTURE, S.WON, S.NEW):
        return False
    if lead.status == S.LOST:
        return True
    return lead.is_open and lead.owner_id == item.rep_id


@transaction.atomic
def feedback_resolve(
    *,
    item: FeedbackItem,
    by: User,
    resolution: str,
    note: str = "",
    data: dict | None = None,
    reason: str = "",
    reengage_after: date | None = None,
) -> FeedbackItem:
    """The marketer (or a manager) closes the conversation, and the resolution acts on the lead:

    - data fixed: the lead's fields in `data` are changed (through `lead_update`, so the timeline
      says what changed);
    - recycled: the lead goes back to marketing's nurture list with `reason` (else the note, else
      the item's own reason code or note) and an optional `reengage_after` date; its recycle
      count goes up and no rep owns it any more;
    - campaign changed: the note says what changed in the campaign; the lead stays as it is;
    - disputed: marketing stands by the lead, which goes back to be handed off again — a rejected
      or nurtured lead already can be; a lead still with the rep or lost is taken back to nurture,
      the one way the lifecycle brings it back to marketing. The next handoff shows this history;
    - answered: a request for feedback needs nothing more.
    """
    if by.role not in (Role.MARKETER, Role.MANAGER):
        raise NotAllowed("Only marketing or a manager resolves feedback items.")
    item = (
        FeedbackItem.objects.select_for_update(of=("self",))
        .select_related("lead", "lead__campaign", "marketer", "rep", "reason")
        .get(pk=item.pk)
    )
    if by.role == Role.MARKETER and by.id != item.marketer_id:
        raise NotAllowed("Only the marketer in this conversation (or a manager) may resolve it.")
    if item.status == FeedbackStatus.RESOLVED:
        raise TransitionNotAllowed("This feedback item is already resolved.")
    if item.status == FeedbackStatus.INFO:
        raise TransitionNotAllowed("Good news needs no resolution.")
    allowed = RESOLUTIONS_FOR_KIND.get(item.kind, ())
    if resolution not in allowed:
        raise InvalidInput(
            f"Resolve this item as one of: {', '.join(allowed)}.",
            fields={"resolution": [f"Choose one of: {', '.join(allowed)}."]},
        )
    note = (note or "").strip()
    lead = item.lead
    summary = Resolution(resolution).label
    if resolution == Resolution.FIXED_DATA:
        fix = _clean_fix(data)
        lead_capture.lead_update(lead=lead, data=fix, by=by)
        summary += ": " + ", ".join(name.replace("_", " ") for name in fix)
    elif resolution == Resolution.RECYCLED:
        # Without a reason of its own, the lead goes back with the one this conversation is about.
        reason = (reason or note or (item.reason.label if item.reason else "") or item.note or "").strip()
        if not reason:
            raise InvalidInput("Say why the lead goes back to nurture.", fields={"reason": ["This field is required."]})
        lead_services.lead_recycle(lead=lead, by=by, reason=reason, reengage_after=reengage_after)
        summary += f": {reason}" + (f" (re-engage after {date_text(reengage_after)})" if reengage_after else "")
    elif resolution in (Resolution.CAMPAIGN_CHANGED, Resolution.DISPUTED):
        if not note:
            what = "what changed in the campaign" if resolution == Resolution.CAMPAIGN_CHANGED else "why you disagree"
            raise InvalidInput(f"Say {what}.", fields={"note": ["This field is required."]})
        if resolution == Resolution.DISPUTED:
            lead.refresh_from_db(fields=["status", "owner"])
            if _dispute_takes_back(lead, item):
                lead_services.lead_recycle(lead=lead, by=by, reason=f"Disputed by marketing, to hand off again: {note}")
    now = timezone.now()
    item.status = FeedbackStatus.RESOLVED
    item.resolution = resolution
    item.resolution_note = note
    item.resolved_by = by
    item.resolved_at = now
    item.save(update_fields=["status", "resolution", "resolution_note", "resolved_by", "resolved_at"])
    text = f"Feedback resolved — {summary}" + (f": {note}" if note else "")
    lead_services.lead_event_record(lead, EventKind.FEEDBACK, by=by, note=text, at=now)
    other = item.rep if by.id != item.rep_id else item.marketer
    if other is not None and other.id != by.id:
        _feedback_notify(
            other, item, lead=lead, actor=by, message=f"{by.display_name} resolved the feedback on {lead}: {summary}."
        )
    _feedback_event_emit("feedback.resolved", item, by=by)
    return item


# --- overdue items ----------------------------------------------------------------------------


def _lead_label(lead) -> str:
    label = lead.name or lead.email
    return f"{label} ({lead.company})" if lead.company else label


@transaction.atomic
def feedback_overdue_remind(*, now: datetime | None = None) -> int:
    """Remind whoever an open feedback item waits on once it is overdue (`feedback_overdue_cutoff`:
    the same rule the queue's badge shows), once per item: the UPDATE claims the items, so two
    sweeps at once remind each item once. Returns how many were reminded."""
    now = now or timezone.now()
    table = FeedbackItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET overdue_reminded_at = %s "
            "WHERE status = %s AND overdue_reminded_at IS NULL AND created_at <= %s RETURNING id",
            [now, FeedbackStatus.OPEN, feedback_overdue_cutoff(now=now)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return 0
    rows = []
    for item in FeedbackItem.objects.filter(id__in=ids).select_related("lead", "assignee", "opened_by"):
        waited = duration_describe(now - item.created_at)
        other = item.opened_by.display_name if item.opened_by else "sales"
        if item.assignee.role == Role.REP:
            expected = f"{other} asked for your verdict on this lead: give it, or reply."
        else:
            expected = f"{other} is waiting for marketing's answer: reply, or resolve the item."
        message = (
            f"Feedback on {_lead_label(item.lead)} ({item.get_kind_display().lower()}) has waited {waited}. {expected}"
        )
        rows.append(
            NotificationRow(item.assignee_id, NotificationKind.FEEDBACK, item.lead_id, message, _item_url(item))
        )
    notification_create_many(rows=rows)
    return len(rows)
