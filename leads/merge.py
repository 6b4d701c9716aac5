"""Merging two leads that turn out to be one person.

The surviving lead takes over the other's touches, timeline and handoffs, and fills each of its
empty contact fields from the other (a phone only the duplicate knew is not lost); the other stays as a
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
    HandoffOffer,
    HandoffOutcome,
    Lead,
    LeadAlias,
    LeadEvent,
    OfferOutcome,
    Touch,
)
from leads.rollup import lead_day_rows, lead_days_apply
from leads.scores import leads_scores_refresh
from leads.services import lead_event_record, lead_lock
from leads.theme_rollup import theme_day_rows, theme_days_apply
from leads.webhooks import lead_event_emit

# The fields a survivor fills from the other lead when it has none of its own, in the page's order.
FILL_FIELDS = (
    ("name", "Name"),
    ("company", "Company"),
    ("title", "Title"),
    ("phone", "Phone"),
    ("country", "Country"),
    ("region", "Region"),
    ("industry", "Industry"),
    ("estimated_value", "Estimated value"),
    ("notes", "Notes"),
    ("pain_points", "Pain points"),
)


def _blank(value) -> bool:
    return value is None or value == ""


def _attribute(name: str) -> str:
    return "industry_id" if name == "industry" else name


def _fills(survivor: Lead, other: Lead) -> dict[str, object]:
    """The survivor's empty fields the other lead has a value for: attribute → that value."""
    fills = {}
    for name, _ in FILL_FIELDS:
        attribute = _attribute(name)
        if _blank(getattr(survivor, attribute)) and not _blank(getattr(other, attribute)):
            fills[attribute] = getattr(other, attribute)
    return fills


def lead_merge_preview(*, survivor: Lead, other: Lead) -> dict:
    """What merging `other` into `survivor` would do, for the page that asks to confirm it: each
    field's value on both and the one the survivor keeps, how many rows move, and the refusal the
    merge would meet (None when it may go ahead). Reads only; one count query per kind of row."""
    fills = _fills(survivor, other)
    fields = []
    for name, label in FILL_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        filled = _attribute(name) in fills
        fields.append(
            {
                "name": name,
                "label": label,
                "survivor": mine,
                "other": theirs,
                "kept": theirs if filled else mine,
                "filled": filled,
                "differs": not _blank(mine) and not _blank(theirs) and mine != theirs,
            }
        )
    refusal = None
    if survivor.merged_into_id:
        refusal = f"This lead was merged into lead {survivor.merged_into_id}: work on that one."
    elif survivor.pk == other.pk:
        refusal = "A lead cannot be merged into itself."
    elif other.merged_into_id:
        refusal = f"{other} was merged already."
    else:
        found = _merge_refusal(survivor, other)
        refusal = found.message if found else None
    return {
        "fields": fields,
        "filled": [row["label"] for row in fields if row["filled"]],
        "moves": {
            "touches": Touch.objects.filter(lead=other).count(),
            "events": LeadEvent.objects.filter(lead=other).count(),
            "handoffs": Handoff.objects.filter(lead=other).count(),
        },
        "refusal": refusal,
    }


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
    fills = _fills(survivor, other)

    # The other's open handoff (to the survivor's own rep) ends; only the survivor's stays open.
    Handoff.objects.filter(lead=other, outcome=HandoffOutcome.OPEN).update(
        outcome=HandoffOutcome.REASSIGNED, ended_at=now, outcome_note=f"Merged into lead {survivor.pk}."
    )
    HandoffOffer.objects.filter(lead=other, outcome=OfferOutcome.OPEN).update(
        outcome=OfferOutcome.WITHDRAWN, ended_at=now
    )
    ColdEpisode.objects.filter(lead=other, closed_at__isnull=True).update(closed_at=now)
    for model in (Touch, LeadEvent, Handoff, HandoffOffer):
        model.objects.filter(lead=other).update(lead=survivor)
    LeadAlias.objects.filter(lead=other).update(lead=survivor)
    LeadAlias.objects.create(email=other.email, lead=survivor, created_at=now)
    # A lead merged into the other earlier now points at the survivor: no chain to follow.
    Lead.objects.filter(merged_into=other).update(merged_into=survivor)

    # The other leaves the dashboard's figures: it is no longer a lead of its own. In voice of
    # sales' its themes go (its verdicts are superseded), and the survivor's follow its fills.
    lead_days_apply(before=lead_day_rows(other), after={})
    themes_before = theme_day_rows(survivor) + theme_day_rows(other)
    # The survivor's wait for its first verdict stands; one that has none takes the other's (whose
    # verdicts it now carries), and the other, no longer a lead of its own, keeps none.
    if survivor.verdict_wait is None:
        survivor.verdict_wait = other.verdict_wait
    other.merged_into, other.merged_at, other.verdict_wait, other.verdict_themes = survivor, now, None, ""
    other.save(update_fields=["merged_into", "merged_at", "verdict_wait", "verdict_themes", "updated_at"])
    survivor.touch_count += other.touch_count
    survivor.last_touch_at = max(survivor.last_touch_at, other.last_touch_at)
    for attribute, value in fills.items():
        setattr(survivor, attribute, value)
    survivor.save(update_fields=["touch_count", "last_touch_at", "verdict_wait", "updated_at", *fills])
    if "industry_id" in fills:
        survivor.industry = other.industry
    theme_days_apply(before=themes_before, after=theme_day_rows(survivor))
    # (The roll-up counts a lead by its campaign, source and people, none of which is filled here.)
    filled = ", ".join(label.lower() for name, label in FILL_FIELDS if _attribute(name) in fills)
    note = f"Merged {other.email} (lead {other.pk}) into this lead."
    if filled:
        note += f" Filled from it: {filled}."
    leads_scores_refresh(lead_ids=[survivor.pk])
    lead_event_record(survivor, EventKind.MERGE, by=by, note=note, at=now)
    lead_event_record(other, EventKind.MERGE, by=by, note=f"Merged into {survivor.email} (lead {survivor.pk}).", at=now)
    lead_event_emit(
        event_type="lead.merged", lead=survivor, by=by, refresh=True, merged={"id": other.pk, "email": other.email}
    )
    return survivor
