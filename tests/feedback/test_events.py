"""Feedback webhook events: a verdict given, a feedback item created and resolved, once each."""

import pytest
from django.db import transaction

from alignment.models import WebhookEvent
from feedback.services import feedback_request, feedback_resolve, lead_reject_with_feedback, verdict_give
from tests.feedback.factories import accepted_lead, handed_off_lead


def events(event_type):
    return list(WebhookEvent.objects.filter(type=event_type).order_by("created_at"))


def test_a_verdict_records_verdict_given_and_the_feedback_item_it_opens(webhook, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)

    verdict = verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget", note="Frozen until Q3.")

    (given,) = events("verdict.given")
    assert given.data["verdict"] == {
        "id": verdict.id,
        "verdict": "bad",
        "reason": "no_budget",
        "note": "Frozen until Q3.",
    }
    assert given.data["lead"]["id"] == lead.id and given.data["actor"]["id"] == rep.id
    (created,) = events("feedback.created")
    assert created.data["feedback"]["kind"] == "bad_verdict" and created.data["feedback"]["status"] == "open"
    assert created.data["lead"]["id"] == lead.id


def test_resolving_an_item_records_feedback_resolved_with_the_lead_as_it_is_now(webhook, marketer, rep):
    lead = handed_off_lead(marketer=marketer, rep=rep)
    lead_reject_with_feedback(lead=lead, by=rep, reason="spam")
    (created,) = events("feedback.created")
    item = lead.feedback_items.get()

    feedback_resolve(item=item, by=marketer, resolution="recycled", reason="Nurture for a quarter.")

    (resolved,) = events("feedback.resolved")
    assert resolved.data["feedback"]["id"] == item.id
    assert resolved.data["feedback"]["resolution"] == "recycled"
    assert resolved.data["lead"]["status"] == "nurture"
    assert resolved.data["actor"] == {"id": marketer.id, "username": marketer.username}
    assert created.data["feedback"]["kind"] == "rejected"


def test_a_request_answered_by_a_verdict_is_resolved(webhook, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    feedback_request(lead=lead, by=marketer, note="How is it going?")

    verdict_give(lead=lead, by=rep, verdict="good")

    assert [e.data["feedback"]["kind"] for e in events("feedback.created")] == ["request", "good_verdict"]
    (resolved,) = events("feedback.resolved")
    assert resolved.data["feedback"]["kind"] == "request" and resolved.data["feedback"]["resolution"] == "answered"


def test_a_verdict_that_rolls_back_records_nothing(webhook, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    WebhookEvent.objects.all().delete()

    with pytest.raises(RuntimeError), transaction.atomic():
        verdict_give(lead=lead, by=rep, verdict="good")
        raise RuntimeError("the request failed after the verdict")

    assert not WebhookEvent.objects.exists()
