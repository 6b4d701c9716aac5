"""Merging two leads that are one person: what moves, what is refused, and the figures after."""

import io

import pytest
from django.core.management import call_command

from alignment.errors import NotAllowed, TransitionNotAllowed
from alignment.models import WebhookEvent
from feedback.merge import lead_merge_with_feedback
from feedback.models import FeedbackItem, FeedbackKind, FeedbackStatus, Verdict
from feedback.services import feedback_request, lead_reject_with_feedback, verdict_give
from leads.capture import lead_capture, lead_update
from leads.models import EventKind, Handoff, HandoffOutcome, Lead, LeadAlias, LeadStatus, Touch
from leads.selectors import lead_list_for_user
from leads.services import lead_accept, lead_hand_off, lead_recycle
from tests.leads.test_rollup import rollup


def capture(email, campaign, marketer):
    lead, _ = lead_capture(data={"email": email}, campaign=campaign, by=marketer)
    return lead


def accepted(lead, *, rep, by):
    lead_hand_off(lead=lead, rep=rep, note="Asked for a demo.", by=by)
    lead_accept(lead=lead, by=rep)
    lead.refresh_from_db()
    return lead


def test_merge_moves_touches_events_handoffs_verdicts_and_feedback_to_the_survivor(marketer, rep, campaign):
    # given: the survivor is with the rep; the other was rejected (a feedback item) and judged
    survivor = accepted(capture("ann@acme.test", campaign, marketer), rep=rep, by=marketer)
    other = capture("ann.smith@acme.test", campaign, marketer)
    lead_hand_off(lead=other, rep=rep, note="Second address.", by=marketer)
    lead_reject_with_feedback(lead=other, by=rep, reason="duplicate", note="Same person.")
    verdict_give(lead=survivor, by=rep, verdict="good", note="Real project.")
    other_events = set(other.events.values_list("id", flat=True))
    # when
    lead_merge_with_feedback(survivor=survivor, other=other, by=marketer)
    # then
    survivor.refresh_from_db()
    other.refresh_from_db()
    assert other.merged_into == survivor
    assert Touch.objects.filter(lead=survivor).count() == 2
    assert survivor.touch_count == 2
    assert other_events <= set(survivor.events.values_list("id", flat=True))
    assert Handoff.objects.filter(lead=survivor).count() == 2
    assert FeedbackItem.objects.filter(lead=survivor, kind=FeedbackKind.REJECTED).count() == 1
    assert not FeedbackItem.objects.filter(lead=other).exists()
    assert Verdict.objects.get(lead=survivor, current=True).verdict == "good"
    # both timelines record the merge
    assert survivor.events.filter(kind=EventKind.MERGE, note__contains="ann.smith@acme.test").exists()
    assert list(other.events.values_list("kind", flat=True)) == [EventKind.MERGE]
    assert LeadAlias.objects.get(email="ann.smith@acme.test").lead == survivor


def test_merged_lead_is_hidden_from_lists_and_refuses_every_write(marketer, manager, rep, campaign):
    survivor = capture("bo@acme.test", campaign, marketer)
    other = capture("bo@acme-mail.test", campaign, marketer)
    lead_merge_with_feedback(survivor=survivor, other=other, by=marketer)
    assert list(lead_list_for_user(user=manager)) == [survivor]
    with pytest.raises(TransitionNotAllowed, match="merged into"):
        lead_hand_off(lead=other, note="Try anyway.", by=marketer)
    with pytest.raises(TransitionNotAllowed):
        lead_recycle(lead=other, reason="Not now.", by=marketer)
    with pytest.raises(TransitionNotAllowed):
        lead_update(lead=other, data={"name": "Bo"}, by=marketer)
    with pytest.raises(TransitionNotAllowed):
        lead_merge_with_feedback(survivor=survivor, other=other, by=marketer)
    with pytest.raises(TransitionNotAllowed):
        lead_merge_with_feedback(survivor=other, other=survivor, by=marketer)


def test_capturing_a_merged_email_touches_the_survivor(marketer, campaign):
    survivor = capture("cy@acme.test", campaign, marketer)
    other = capture("cy@old-acme.test", campaign, marketer)
    lead_merge_with_feedback(survivor=survivor, other=other, by=marketer)
    lead, created = lead_capture(data={"email": " CY@old-acme.test "}, campaign=campaign, by=marketer)
    assert (lead, created) == (survivor, False)
    survivor.refresh_from_db()
    assert survivor.touch_count == 3
    # and an alias follows the survivor when it is merged in turn
    third = capture("cy@new-acme.test", campaign, marketer)
    lead_merge_with_feedback(survivor=third, other=survivor, by=marketer)
    assert lead_capture(data={"email": "cy@old-acme.test"}, campaign=campaign, by=marketer)[0] == third


def test_a_lead_merged_earlier_points_at_the_last_survivor(client, marketer, campaign):
    first = capture("di@acme.test", campaign, marketer)
    second = capture("di@old-acme.test", campaign, marketer)
    last = capture("di@new-acme.test", campaign, marketer)
    lead_merge_with_feedback(survivor=second, other=first, by=marketer)
    lead_merge_with_feedback(survivor=last, other=second, by=marketer)
    first.refresh_from_db()
    assert first.merged_into == last
    client.force_login(marketer)
    page = client.get(f"/leads/{first.pk}/").content.decode()
    assert f'merged into <a href="/leads/{last.pk}/">' in page


def test_merge_refusals(marketer, rep, other_rep, campaign):
    ann = accepted(capture("dee@acme.test", campaign, marketer), rep=rep, by=marketer)
    dee = accepted(capture("dee@acme-mail.test", campaign, marketer), rep=other_rep, by=marketer)
    fresh = capture("dee@other.test", campaign, marketer)
    with pytest.raises(TransitionNotAllowed, match="different reps' open work"):
        lead_merge_with_feedback(survivor=ann, other=dee, by=marketer)
    with pytest.raises(TransitionNotAllowed, match="itself"):
        lead_merge_with_feedback(survivor=ann, other=ann, by=marketer)
    with pytest.raises(TransitionNotAllowed, match="merge into that lead instead"):
        lead_merge_with_feedback(survivor=fresh, other=dee, by=marketer)
    with pytest.raises(NotAllowed):
        lead_merge_with_feedback(survivor=ann, other=fresh, by=rep)
    assert not Lead.objects.filter(merged_into__isnull=False).exists()


def test_merge_of_one_reps_two_open_leads_keeps_one_open_handoff(marketer, rep, campaign):
    survivor = capture("eve@acme.test", campaign, marketer)
    other = capture("eve@acme-mail.test", campaign, marketer)
    for lead in (survivor, other):
        lead_hand_off(lead=lead, rep=rep, note="Demo request.", by=marketer)
    feedback_request(lead=survivor, by=marketer, note="How is it going?")
    feedback_request(lead=other, by=marketer, note="Any news?")
    lead_merge_with_feedback(survivor=survivor, other=other, by=marketer)
    assert Handoff.objects.filter(lead=survivor, outcome=HandoffOutcome.OPEN).count() == 1
    assert FeedbackItem.objects.filter(lead=survivor, kind="request", status=FeedbackStatus.OPEN).count() == 1


def test_dashboard_roll_up_after_a_merge_equals_a_rebuild(marketer, rep, campaign):
    survivor = accepted(capture("fay@acme.test", campaign, marketer), rep=rep, by=marketer)
    other = capture("fay@acme-mail.test", campaign, marketer)
    lead_hand_off(lead=other, rep=rep, note="Again.", by=marketer)
    lead_reject_with_feedback(lead=other, by=rep, reason="duplicate")
    verdict_give(lead=survivor, by=rep, verdict="good")
    lead_merge_with_feedback(survivor=survivor, other=other, by=marketer)
    kept = rollup()
    call_command("rebuild_dashboard", stdout=io.StringIO())
    assert rollup() == kept
    assert sum(figures.get("captured", 0) for figures in kept.values()) == 1
    assert Lead.objects.get(pk=other.pk).status == LeadStatus.REJECTED


def test_merge_emits_lead_merged_in_its_transaction(marketer, campaign, webhook, django_capture_on_commit_callbacks):
    survivor = capture("gus@acme.test", campaign, marketer)
    other = capture("gus@acme-mail.test", campaign, marketer)
    with django_capture_on_commit_callbacks():
        lead_merge_with_feedback(survivor=survivor, other=other, by=marketer)
    event = WebhookEvent.objects.get(type="lead.merged")
    assert event.data["lead"]["id"] == survivor.pk
    assert event.data["merged"] == {"id": other.pk, "email": "gus@acme-mail.test"}
    assert event.data["actor"]["id"] == marketer.pk


# --- filling the survivor's gaps, and the preview ---------------------------------------------


def test_merge_fills_the_survivors_empty_fields_from_the_other_and_keeps_its_own(marketer, campaign):
    # given: the survivor knows no phone and no title; the duplicate does, and has another name
    survivor, _ = lead_capture(
        data={"email": "hal@acme.test", "name": "Hal Smith", "company": "Acme"}, campaign=campaign, by=marketer
    )
    other, _ = lead_capture(
        data={"email": "hal.s@acme.test", "name": "H. Smith", "phone": "+49 30 1234", "title": "CTO"},
        campaign=campaign,
        by=marketer,
    )

    lead_merge_with_feedback(survivor=survivor, other=other, by=marketer)

    survivor.refresh_from_db()
    assert (survivor.phone, survivor.title) == ("+49 30 1234", "CTO")
    assert (survivor.name, survivor.company) == ("Hal Smith", "Acme")  # its own values stay
    note = survivor.events.get(kind=EventKind.MERGE).note
    assert "Filled from it: title, phone." in note


def test_the_api_merge_fills_the_phone_too(marketer, campaign):
    from rest_framework.test import APIClient

    survivor = capture("ida@acme.test", campaign, marketer)
    other, _ = lead_capture(data={"email": "ida.b@acme.test", "phone": "555-0100"}, campaign=campaign, by=marketer)
    api = APIClient()
    api.force_authenticate(marketer)

    response = api.post(f"/api/leads/{survivor.pk}/merge/", {"other": other.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["phone"] == "555-0100"


def test_the_merge_page_shows_both_leads_what_is_kept_and_what_moves_before_anything_changes(
    client, marketer, rep, campaign, django_assert_num_queries
):
    # given: a duplicate with a phone, a handoff, a rejection (a feedback item) and two touches
    survivor, _ = lead_capture(data={"email": "jo@acme.test", "name": "Jo Park"}, campaign=campaign, by=marketer)
    other, _ = lead_capture(
        data={"email": "jo.park@acme.test", "name": "Joanne Park", "phone": "+1 555 0199"},
        campaign=campaign,
        by=marketer,
    )
    lead_capture(data={"email": "jo.park@acme.test"}, campaign=campaign, by=marketer)
    lead_hand_off(lead=other, rep=rep, note="Asked twice.", by=marketer)
    lead_reject_with_feedback(lead=other, by=rep, reason="duplicate", note="Same person.")
    client.force_login(marketer)

    # 1. the session  2. the user  3. this lead, with its timeline and handoffs (4, 5)
    # 6. the other lead by email  7-9. its touches, timeline entries, handoffs counted
    # 10-11. its verdicts and feedback items counted  12. the unread notifications in the header
    with django_assert_num_queries(12):
        response = client.get(f"/leads/{survivor.pk}/merge/", {"email": "jo.park@acme.test"})

    page = " ".join(response.content.decode().split())
    assert response.status_code == 200
    # side by side: the survivor keeps its name, takes the other's phone
    assert "Jo Park" in page and "Joanne Park" in page
    assert 'data-field="name"' in page and "(this lead keeps its own)" in page
    assert 'data-field="phone" data-filled="true"' in page
    assert '+1 555 0199 <small class="muted">(from the other lead)' in page
    assert "Empty fields of this lead filled from the other: Phone." in page
    # what moves
    for moved in ("2 touches", "handoff", "1 feedback item", "0 verdicts"):
        assert moved in page
    assert f'<input type="hidden" name="other" value="{other.pk}">' in page
    # nothing has changed yet
    other.refresh_from_db()
    assert other.merged_into is None
    survivor.refresh_from_db()
    assert survivor.phone == ""

    # when: confirmed
    client.post(f"/leads/{survivor.pk}/merge/", {"other": other.pk})

    survivor.refresh_from_db()
    assert survivor.phone == "+1 555 0199" and survivor.name == "Jo Park"
