"""Merging two leads, with their feedback: the lead merge (`leads.merge`) moves the leads' own rows;
the verdicts and feedback items are this floor's, so they move here, in the same transaction."""

from django.db import transaction
from django.utils import timezone

from alignment.models import User
from feedback.models import FeedbackItem, FeedbackKind, FeedbackStatus, Resolution, Verdict
from feedback.rollup import lead_bad_reasons_refresh, reason_days_move
from leads.merge import lead_merge, lead_merge_preview
from leads.models import Lead


@transaction.atomic
def lead_merge_with_feedback(*, survivor: Lead, other: Lead, by: User) -> Lead:
    """Merge `other` into `survivor` and move its verdicts and feedback items along.

    The survivor's verdict stands (it is the one the lead carries and the figures count): the
    other's verdicts join its history as superseded. A question still open on both leads is asked
    once: the other's is closed as answered there. The other's bad reasons move to the survivor's
    cohort in the scorecard's roll-up.
    """
    survivor = lead_merge(survivor=survivor, other=other, by=by)
    now = timezone.now()
    Verdict.objects.filter(lead=other, current=True).update(current=False)
    Verdict.objects.filter(lead=other).update(lead=survivor)
    open_request = {"kind": FeedbackKind.REQUEST, "status": FeedbackStatus.OPEN}
    if FeedbackItem.objects.filter(lead=survivor, **open_request).exists():
        FeedbackItem.objects.filter(lead=other, **open_request).update(
            status=FeedbackStatus.RESOLVED,
            resolution=Resolution.ANSWERED,
            resolution_note=f"Merged into lead {survivor.pk}, where the same question is open.",
            resolved_by=by,
            resolved_at=now,
        )
    reason_days_move(source=other, target=survivor)
    FeedbackItem.objects.filter(lead=other).update(lead=survivor)
    lead_bad_reasons_refresh([survivor.pk, other.pk])
    return survivor


def lead_merge_preview_with_feedback(*, survivor: Lead, other: Lead) -> dict:
    """`lead_merge_preview`, with the verdicts and feedback items that would move too."""
    preview = lead_merge_preview(survivor=survivor, other=other)
    preview["moves"]["verdicts"] = Verdict.objects.filter(lead=other).count()
    preview["moves"]["feedback_items"] = FeedbackItem.objects.filter(lead=other).count()
    return preview
