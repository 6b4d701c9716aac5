"""Merging two leads that turn out to be one person.

The surviving lead takes over the other's touches, timeline and handoffs; the other stays as a
record merged into it (hidden from lists, inboxes and figures, every write on it refused), and its
email becomes an alias of the survivor, so capturing it again touches the survivor. The feedback
rows (verdicts, feedback items) are feedback's: `feedback.services.lead_merge_with_feedback` moves
them in the same transaction.
"""

from django.db import transaction
from django.utils import timezone

from alignment.errors import TransitionNotAllowed
from alignment.models import User
from leads.lifecycle import lead_action_require
from leads.models import (
    OPEN_STATUSES,
    ColdEpisode,
    EventKind,
    Handoff,
    HandoffOutcome,
    Lead,
    LeadAlias,
    LeadEvent,
    Touch,
)
from leads.rollup import lead_day_rows, lead_days_apply
from leads.scores import leads_scores_refresh
from leads.services import lead_event_record, lead_lock
from leads.webhooks import lead_event_emit


def _merge_refusal(survivor: Lead, other: Lead) -> TransitionNotAllowed | None:
    survivor_open, other_open = survivor.status in OPEN_STATUSES, other.status in OPEN_STATUSES
    if survivor_open and other_open and survivor.owner_id != other.owner_id:
        return TransitionNotAllowed(
            "Both leads are in different reps' open work: reassign one of them first, then merge."
        )
    if other_open and not survivor_open:
        # The survivor carries the work on; a rep must not lose a lead they hold to a record.
        return TransitionNotAllowed(f"{other} is with a rep: merge into that lead instead.")
    return None


@transaction.atomic
def lead_merge(*, survivor: Lead, other: Lead, by: User) -> Lead:
    """Merge `other` into `survivor` (marketers and managers). Refused (409) for one lead, for a lead
    already merged, and when the two are in different reps' open work."""
    lead_action_require(lead=survivor, user=by, action="merge")
    if survivor.pk == other.pk:
        raise TransitionNotAllowed("A lead cannot be merged into itself.")
    # Lock both in id order, so two merges of the same pair cannot deadlock.
    first, second = sorted((survivor, other), key=lambda lead: lead.pk)
    locked = {lead.pk: lead for lead in (lead_lock(first), lead_lock(second))}
    survivor, other = locked[survivor.pk], locked[other.pk]
    refusal = _merge_refusal(survivor, other)
    if refusal is not None:
        raise refusal
    now = timezone.now()

    # The other's open handoff (to the survivor's own rep) ends; only the survivor's stays open.
    Handoff.objects.filter(lead=other, outcome=HandoffOutcome.OPEN).update(
        outcome=HandoffOutcome.REASSIGNED, ended_at=now, outcome_note=f"Merged into lead {survivor.pk}."
    )
    ColdEpisode.objects.filter(lead=other, closed_at__isnull=True).update(closed_at=now)
    for model in (Touch, LeadEvent, Handoff):
        model.objects.filter(lead=other).update(lead=survivor)
    LeadAlias.objects.filter(lead=other).update(lead=survivor)
    LeadAlias.objects.create(email=other.email, lead=survivor, created_at=now)
    # A lead merged into the other earlier now points at the survivor: no chain to follow.
    Lead.objects.filter(merged_into=other).update(merged_into=survivor)

    # The other leaves the dashboard's figures: it is no longer a lead of its own.
    lead_days_apply(before=lead_day_rows(other), after={})
    # The survivor's wait for its first verdict stands; one that has none takes the other's (whose
    # verdicts it now carries), and the other, no longer a lead of its own, keeps none.
    if survivor.verdict_wait is None:
        survivor.verdict_wait = other.verdict_wait
    other.merged_into, other.merged_at, other.verdict_wait = survivor, now, None
    other.save(update_fields=["merged_into", "merged_at", "verdict_wait", "updated_at"])
    survivor.touch_count += other.touch_count
    survivor.last_touch_at = max(survivor.last_touch_at, other.last_touch_at)
    survivor.save(update_fields=["touch_count", "last_touch_at", "verdict_wait", "updated_at"])
    leads_scores_refresh(lead_ids=[survivor.pk])

    lead_event_record(
        survivor, EventKind.MERGE, by=by, note=f"Merged {other.email} (lead {other.pk}) into this lead.", at=now
    )
    lead_event_record(other, EventKind.MERGE, by=by, note=f"Merged into {survivor.email} (lead {survivor.pk}).", at=now)
    lead_event_emit(
        event_type="lead.merged", lead=survivor, by=by, refresh=True, merged={"id": other.pk, "email": other.email}
    )
    return survivor
