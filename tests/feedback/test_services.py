from datetime import timedelta

import pytest
from django.utils import timezone

from alignment.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from alignment.models import Notification
from feedback.models import FeedbackItem, FeedbackKind, FeedbackReply, FeedbackStatus, ReasonCode, Resolution, Verdict
from feedback.services import (
    feedback_reply,
    feedback_request,
    feedback_resolve,
    lead_lose_with_feedback,
    lead_reject_with_feedback,
    lead_win_with_feedback,
    verdict_give,
)
from leads.models import EventKind, HandoffOutcome, LeadStatus
from leads.reason_codes import reason_code_create, reason_code_rename, reason_code_set_active
from leads.services import lead_hand_off, lead_qualify
from tests.alignment.factories import MarketerFactory
from tests.feedback.factories import accepted_lead, handed_off_lead
from tests.leads.factories import CampaignFactory, LeadFactory

# --- verdicts ---------------------------------------------------------------------------------


def test_bad_verdict_opens_an_item_for_the_marketer_who_captured_the_lead(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)

    verdict = verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget", note="Frozen until Q3.")

    item = FeedbackItem.objects.get(lead=lead)
    assert item.kind == FeedbackKind.BAD_VERDICT
    assert item.status == FeedbackStatus.OPEN
    assert item.assignee == marketer and item.marketer == marketer and item.rep == rep
    assert item.reason.code == "no_budget"
    assert item.verdict == verdict
    assert Notification.objects.filter(recipient=marketer, kind="feedback", lead=lead).count() == 1
    assert lead.events.filter(kind=EventKind.VERDICT).count() == 1


def test_item_goes_to_the_campaign_owner_when_nobody_in_marketing_captured_the_lead(rep):
    owner = MarketerFactory()
    lead = LeadFactory(campaign=CampaignFactory(owner=owner), captured_by=None)
    lead_hand_off(lead=lead, rep=rep, note="From the public form.", by=owner)
    lead.refresh_from_db()

    lead_reject_with_feedback(lead=lead, by=rep, reason="spam")

    item = FeedbackItem.objects.get(lead=lead)
    assert item.assignee == owner and item.marketer == owner


def test_good_verdict_is_good_news_that_needs_no_answer(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)

    verdict_give(lead=lead, by=rep, verdict="good", note="Budget approved.")

    item = FeedbackItem.objects.get(lead=lead)
    assert item.kind == FeedbackKind.GOOD_VERDICT
    assert item.status == FeedbackStatus.INFO


def test_a_bad_verdict_needs_a_known_active_reason(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    ReasonCode.objects.filter(code="timing").update(active=False)

    for reason in ("", "not-a-code", "timing"):
        with pytest.raises(InvalidInput) as error:
            verdict_give(lead=lead, by=rep, verdict="bad", reason=reason)
        assert "reason" in error.value.fields

    with pytest.raises(InvalidInput):
        verdict_give(lead=lead, by=rep, verdict="meh", reason="no_need")
    assert not Verdict.objects.exists()
    assert not FeedbackItem.objects.exists()


def test_only_the_owning_rep_gives_a_verdict(marketer, rep, other_rep, manager):
    lead = accepted_lead(marketer=marketer, rep=rep)

    for someone in (other_rep, marketer, manager):
        with pytest.raises(NotAllowed):
            verdict_give(lead=lead, by=someone, verdict="bad", reason="no_need")
    assert not Verdict.objects.exists()


def test_no_verdict_before_the_rep_accepted_the_lead(marketer, rep):
    lead = handed_off_lead(marketer=marketer, rep=rep)

    with pytest.raises(TransitionNotAllowed):
        verdict_give(lead=lead, by=rep, verdict="bad", reason="no_need")


def test_revising_a_verdict_keeps_the_history_and_carries_on_the_open_conversation(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    first = verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget")

    second = verdict_give(lead=lead, by=rep, verdict="bad", reason="no_authority", note="Wrong person after all.")

    first.refresh_from_db()
    assert not first.current and second.current
    assert Verdict.objects.filter(lead=lead).count() == 2
    item = FeedbackItem.objects.get(lead=lead)
    assert item.reason.code == "no_authority" and item.verdict == second
    assert "Revised verdict" in item.replies.get().body

    third = verdict_give(lead=lead, by=rep, verdict="good")

    assert list(Verdict.objects.filter(lead=lead, current=True)) == [third]
    assert FeedbackItem.objects.filter(lead=lead, kind=FeedbackKind.GOOD_VERDICT, status="info").count() == 1
    assert item.replies.count() == 2


# --- rejections, losses and wins open items ----------------------------------------------------


def test_rejection_loss_and_win_open_items(marketer, rep):
    rejected = handed_off_lead(marketer=marketer, rep=rep)
    lead_reject_with_feedback(lead=rejected, by=rep, reason="not_icp", note="Too small.")
    lost = accepted_lead(marketer=marketer, rep=rep)
    lead_lose_with_feedback(lead=lost, by=rep, reason="competitor")
    won = accepted_lead(marketer=marketer, rep=rep)
    lead_qualify(lead=won, by=rep)
    lead_win_with_feedback(lead=won, by=rep, amount="1200")

    kinds = {item.lead_id: (item.kind, item.status, item.rep_id) for item in FeedbackItem.objects.all()}
    assert kinds == {
        rejected.pk: (FeedbackKind.REJECTED, FeedbackStatus.OPEN, rep.pk),
        lost.pk: (FeedbackKind.LOST, FeedbackStatus.OPEN, rep.pk),
        won.pk: (FeedbackKind.WON, FeedbackStatus.INFO, rep.pk),
    }


# --- requests ---------------------------------------------------------------------------------


def test_a_marketer_requests_feedback_and_a_verdict_answers_it(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)

    request = feedback_request(lead=lead, by=marketer, note="How did the demo go?")

    assert request.assignee == rep and request.status == FeedbackStatus.OPEN
    assert Notification.objects.filter(recipient=rep, kind="feedback").count() == 1
    with pytest.raises(TransitionNotAllowed):
        feedback_request(lead=lead, by=marketer, note="Again?")

    verdict_give(lead=lead, by=rep, verdict="good")

    request.refresh_from_db()
    assert request.status == FeedbackStatus.RESOLVED
    assert request.resolution == Resolution.ANSWERED


def test_feedback_request_needs_a_marketer_a_note_and_a_rep_to_ask(marketer, rep, manager):
    lead = accepted_lead(marketer=marketer, rep=rep)
    new_lead = LeadFactory(captured_by=marketer)

    with pytest.raises(NotAllowed):
        feedback_request(lead=lead, by=rep, note="?")
    with pytest.raises(NotAllowed):
        feedback_request(lead=lead, by=manager, note="?")
    with pytest.raises(InvalidInput):
        feedback_request(lead=lead, by=marketer, note="   ")
    with pytest.raises(TransitionNotAllowed):
        feedback_request(lead=new_lead, by=marketer, note="Anyone?")
    assert not FeedbackItem.objects.exists()


# --- the conversation -------------------------------------------------------------------------


def _bad_item(marketer, rep, **lead_fields):
    lead = accepted_lead(marketer=marketer, rep=rep, **lead_fields)
    verdict_give(lead=lead, by=rep, verdict="bad", reason="wrong_contact_data", note="Phone number is dead.")
    return FeedbackItem.objects.get(lead=lead)


def test_replies_go_both_ways_and_notify_the_other_side(marketer, rep):
    item = _bad_item(marketer, rep)
    Notification.objects.all().delete()

    feedback_reply(item=item, by=marketer, body="Which number did you try?")
    feedback_reply(item=item, by=rep, body="+49 30 123.")

    assert list(item.replies.values_list("author_id", flat=True)) == [marketer.pk, rep.pk]
    assert list(Notification.objects.order_by("id").values_list("recipient_id", flat=True)) == [rep.pk, marketer.pk]
    item.refresh_from_db()
    assert item.last_reply_at is not None


def test_empty_replies_and_outsiders_are_refused(marketer, rep, other_rep):
    item = _bad_item(marketer, rep)
    someone_else = MarketerFactory()

    with pytest.raises(InvalidInput):
        feedback_reply(item=item, by=marketer, body="  ")
    with pytest.raises(NotAllowed):
        feedback_reply(item=item, by=other_rep, body="Me too")
    with pytest.raises(NotAllowed):
        feedback_reply(item=item, by=someone_else, body="Me too")
    assert not FeedbackReply.objects.exists()


# --- resolutions ------------------------------------------------------------------------------


def test_resolve_recycled_sends_the_lead_to_nurture(marketer, rep):
    item = _bad_item(marketer, rep)
    later = timezone.localdate() + timedelta(days=60)

    feedback_resolve(
        item=item, by=marketer, resolution="recycled", reason="Try after their budget round", reengage_after=later
    )

    item.refresh_from_db()
    lead = item.lead
    lead.refresh_from_db()
    assert item.status == FeedbackStatus.RESOLVED and item.resolution == Resolution.RECYCLED
    assert item.resolved_by == marketer and item.resolved_at is not None
    assert lead.status == LeadStatus.NURTURE
    assert lead.recycle_count == 1 and lead.owner is None and lead.reengage_after == later
    assert Notification.objects.filter(recipient=rep, message__contains="resolved").exists()


def test_resolve_fixed_data_changes_the_lead_fields(marketer, rep):
    item = _bad_item(marketer, rep, phone="+49 30 000")

    feedback_resolve(item=item, by=marketer, resolution="fixed_data", data={"phone": "+49 30 1234567"})

    item.lead.refresh_from_db()
    assert item.lead.phone == "+49 30 1234567"
    assert item.lead.status == LeadStatus.ACCEPTED
    assert item.lead.events.filter(kind=EventKind.EDIT).exists()


def test_resolve_fixed_data_with_bad_data_changes_nothing(marketer, rep):
    item = _bad_item(marketer, rep, phone="+49 30 000")

    for data in (None, {}, {"status": "won"}, {"email": "not-an-email"}):
        with pytest.raises(InvalidInput):
            feedback_resolve(item=item, by=marketer, resolution="fixed_data", data=data)

    item.refresh_from_db()
    assert item.status == FeedbackStatus.OPEN
    item.lead.refresh_from_db()
    assert item.lead.phone == "+49 30 000"


def test_resolve_campaign_changed_needs_a_note_and_leaves_the_lead(marketer, rep):
    item = _bad_item(marketer, rep)

    with pytest.raises(InvalidInput):
        feedback_resolve(item=item, by=marketer, resolution="campaign_changed")
    feedback_resolve(item=item, by=marketer, resolution="campaign_changed", note="Excluded students from targeting.")

    item.refresh_from_db()
    item.lead.refresh_from_db()
    assert item.resolution_note == "Excluded students from targeting."
    assert item.lead.status == LeadStatus.ACCEPTED


def test_resolve_disputed_rejection_leaves_the_lead_ready_for_another_handoff(marketer, rep, other_rep):
    lead = handed_off_lead(marketer=marketer, rep=rep)
    lead_reject_with_feedback(lead=lead, by=rep, reason="not_icp")
    item = FeedbackItem.objects.get(lead=lead)

    feedback_resolve(item=item, by=marketer, resolution="disputed", note="They are exactly our ICP.")
    handoff = lead_hand_off(lead=lead, rep=other_rep, note="Second opinion, please.", by=marketer)

    lead.refresh_from_db()
    assert lead.status == LeadStatus.HANDED_OFF and lead.owner == other_rep
    assert list(lead.handoffs.values_list("outcome", flat=True)) == [HandoffOutcome.OPEN, HandoffOutcome.REJECTED]
    assert handoff.to_rep == other_rep
    # A dispute is not a recycle: the rejected lead was handed off again as it was.
    assert lead.recycle_count == 0 and lead.recycle_reason == ""
    assert not lead.events.filter(kind=EventKind.TRANSITION, note__startswith="Recycled").exists()


def test_resolve_disputed_bad_verdict_takes_the_lead_back_from_the_rep(marketer, rep, other_rep):
    item = _bad_item(marketer, rep)

    feedback_resolve(item=item, by=marketer, resolution="disputed", note="Call them again, the number works.")

    item.lead.refresh_from_db()
    # Nurture is the lifecycle's one way back from the rep, so this dispute counts as a recycle,
    # and the reason says it was a dispute.
    assert item.lead.status == LeadStatus.NURTURE and item.lead.owner is None
    assert item.lead.recycle_count == 1
    assert item.lead.recycle_reason == "Disputed by marketing, to hand off again: Call them again, the number works."
    lead_hand_off(lead=item.lead, rep=other_rep, note="Disputed: please try again.", by=marketer)

    item.lead.refresh_from_db()
    assert item.lead.owner == other_rep and item.lead.status == LeadStatus.HANDED_OFF


def test_resolve_disputed_loss_takes_the_lead_back_as_a_dispute(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    lead_lose_with_feedback(lead=lead, by=rep, reason="competitor", note="Went with the incumbent.")
    item = FeedbackItem.objects.get(lead=lead, kind=FeedbackKind.LOST)

    feedback_resolve(item=item, by=marketer, resolution="disputed", note="The incumbent contract ends in May.")

    lead.refresh_from_db()
    assert lead.status == LeadStatus.NURTURE and lead.recycle_count == 1
    assert lead.recycle_reason.startswith("Disputed by marketing")


def test_resolve_disputed_leaves_a_lead_meanwhile_with_another_rep(marketer, rep, other_rep):
    lead = handed_off_lead(marketer=marketer, rep=rep)
    lead_reject_with_feedback(lead=lead, by=rep, reason="not_icp")
    item = FeedbackItem.objects.get(lead=lead)
    lead_hand_off(lead=lead, rep=other_rep, note="Second opinion, please.", by=marketer)

    feedback_resolve(item=item, by=marketer, resolution="disputed", note="They are exactly our ICP.")

    lead.refresh_from_db()
    assert (lead.status, lead.owner, lead.recycle_count) == (LeadStatus.HANDED_OFF, other_rep, 0)


def test_resolving_twice_or_good_news_is_a_conflict(marketer, rep):
    item = _bad_item(marketer, rep)
    feedback_resolve(item=item, by=marketer, resolution="campaign_changed", note="Tightened targeting.")
    lead = accepted_lead(marketer=marketer, rep=rep)
    verdict_give(lead=lead, by=rep, verdict="good")
    good = FeedbackItem.objects.get(lead=lead)

    with pytest.raises(TransitionNotAllowed):
        feedback_resolve(item=item, by=marketer, resolution="recycled", reason="again")
    with pytest.raises(TransitionNotAllowed):
        feedback_resolve(item=good, by=marketer, resolution="campaign_changed", note="?")
    with pytest.raises(TransitionNotAllowed):
        feedback_reply(item=item, by=rep, body="One more thing")
    item.lead.refresh_from_db()
    assert item.lead.status == LeadStatus.ACCEPTED


def test_only_the_items_marketer_or_a_manager_resolves(marketer, rep, manager):
    item = _bad_item(marketer, rep)

    with pytest.raises(NotAllowed):
        feedback_resolve(item=item, by=rep, resolution="campaign_changed", note="x")
    with pytest.raises(NotAllowed):
        feedback_resolve(item=item, by=MarketerFactory(), resolution="campaign_changed", note="x")
    feedback_resolve(item=item, by=manager, resolution="campaign_changed", note="Managers may.")

    item.refresh_from_db()
    assert item.resolved_by == manager


def test_a_resolution_the_lead_cannot_take_changes_nothing(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    verdict_give(lead=lead, by=rep, verdict="bad", reason="no_need")
    lead_qualify(lead=lead, by=rep)
    lead_win_with_feedback(lead=lead, by=rep, amount="10")
    item = FeedbackItem.objects.get(lead=lead, kind=FeedbackKind.BAD_VERDICT)

    with pytest.raises(TransitionNotAllowed):
        feedback_resolve(item=item, by=marketer, resolution="recycled", reason="Nurture it")

    item.refresh_from_db()
    assert item.status == FeedbackStatus.OPEN


def test_a_request_is_resolved_as_answered_only(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    request = feedback_request(lead=lead, by=marketer, note="Any news?")

    with pytest.raises(InvalidInput):
        feedback_resolve(item=request, by=marketer, resolution="recycled", reason="x")
    feedback_resolve(item=request, by=marketer, resolution="answered", note="Talked on the phone.")

    request.refresh_from_db()
    assert request.status == FeedbackStatus.RESOLVED


# --- reason codes -----------------------------------------------------------------------------


def test_managers_add_rename_and_retire_codes_without_losing_history(marketer, rep, manager):
    lead = accepted_lead(marketer=marketer, rep=rep)
    code = reason_code_create(label="Wrong region", by=manager)
    verdict_give(lead=lead, by=rep, verdict="bad", reason=code.code)

    reason_code_rename(reason=code, label="Outside our regions", by=manager)
    reason_code_set_active(reason=code, active=False, by=manager)

    verdict = Verdict.objects.get(lead=lead)
    assert verdict.reason.label == "Outside our regions"
    assert not verdict.reason.active
    with pytest.raises(InvalidInput):
        verdict_give(lead=lead, by=rep, verdict="bad", reason=code.code)
    with pytest.raises(InvalidInput):
        reason_code_create(label="Wrong region", by=manager)
    with pytest.raises(NotAllowed):
        reason_code_create(label="Anything", by=marketer)
