"""The bad reasons a lead carries (`Lead.bad_reasons`): after every change to its items — a
rejection, a loss, a bad verdict, its revision, a merge, an edit or a deletion in the admin — they
are the reasons its items hold against it, as `rebuild_dashboard` recomputes them, and so is the
scorecard's roll-up of them; a segment's evidence counts them."""

from collections import Counter

import pytest
from django.contrib import admin
from django.test import RequestFactory

from feedback.merge import lead_merge_with_feedback
from feedback.models import BAD_REASON_KINDS, FeedbackItem, FeedbackKind, ReasonDay
from feedback.rollup import figures_rebuild
from feedback.services import lead_lose_with_feedback, lead_reject_with_feedback, verdict_give
from leads.models import Lead, ReasonCode
from leads.services import lead_accept, lead_hand_off
from planning.evidence import segment_evidence
from tests.alignment.factories import VerticalFactory
from tests.feedback.factories import accepted_lead, handed_off_lead

pytestmark = pytest.mark.django_db


def held(lead) -> Counter:
    """The reason codes `lead`'s items hold against it, counted from the items."""
    items = FeedbackItem.objects.filter(lead=lead, kind__in=BAD_REASON_KINDS, reason__isnull=False)
    return Counter(items.values_list("reason__code", flat=True))


def carried(lead) -> Counter:
    codes = dict(ReasonCode.objects.values_list("pk", "code"))
    text = Lead.objects.get(pk=lead.pk).bad_reasons
    return Counter(codes[int(pk)] for pk in filter(None, text.split(",")))


def reason_days() -> dict:
    """The scorecard's roll-up of bad reasons, as it reads it (rows that count)."""
    return {(row.day, row.campaign_id, row.reason_id): row.count for row in ReasonDay.objects.all() if row.count}


def assert_in_step(*leads):
    """The leads carry what their items hold, and the leads and the scorecard's roll-up are what
    `rebuild_dashboard` recomputes from the items."""
    for lead in leads:
        assert carried(lead) == held(lead)
    before = {lead.pk: Lead.objects.get(pk=lead.pk).bad_reasons for lead in leads}, reason_days()
    figures_rebuild()
    assert ({lead.pk: Lead.objects.get(pk=lead.pk).bad_reasons for lead in leads}, reason_days()) == before


def test_a_rejection_then_a_loss_are_carried_on_the_lead(marketer, rep, other_rep):
    lead = handed_off_lead(marketer=marketer, rep=rep)
    lead_reject_with_feedback(lead=lead, by=rep, reason="timing")
    assert carried(lead) == Counter({"timing": 1})

    lead = Lead.objects.get(pk=lead.pk)
    lead_hand_off(lead=lead, rep=other_rep, note="Another try, another territory.", by=marketer)
    lead_accept(lead=Lead.objects.get(pk=lead.pk), by=other_rep)
    lead_lose_with_feedback(lead=Lead.objects.get(pk=lead.pk), by=other_rep, reason="timing")
    assert carried(lead) == Counter({"timing": 2})
    assert_in_step(lead)


def test_a_revised_bad_verdict_carries_the_revised_reason_and_a_good_one_keeps_the_item(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget")
    assert carried(lead) == Counter({"no_budget": 1})

    verdict_give(lead=Lead.objects.get(pk=lead.pk), by=rep, verdict="bad", reason="timing")
    assert carried(lead) == Counter({"timing": 1})
    verdict_give(lead=Lead.objects.get(pk=lead.pk), by=rep, verdict="good")
    assert_in_step(lead)


def test_a_merge_moves_the_others_reasons_to_the_survivor(marketer, rep):
    survivor = accepted_lead(marketer=marketer, rep=rep)
    other = accepted_lead(marketer=marketer, rep=rep)
    verdict_give(lead=survivor, by=rep, verdict="bad", reason="timing")
    lead_lose_with_feedback(lead=other, by=rep, reason="competitor")

    lead_merge_with_feedback(
        survivor=Lead.objects.get(pk=survivor.pk), other=Lead.objects.get(pk=other.pk), by=marketer
    )

    assert carried(survivor) == Counter({"timing": 1, "competitor": 1})
    assert Lead.objects.get(pk=other.pk).bad_reasons == ""
    assert_in_step(survivor, other)


def test_an_item_edited_or_deleted_in_the_admin_leaves_its_leads_and_the_scorecard_in_step(marketer, rep, admin_user):
    first = accepted_lead(marketer=marketer, rep=rep)
    second = accepted_lead(marketer=marketer, rep=rep)
    verdict_give(lead=first, by=rep, verdict="bad", reason="timing")
    item = FeedbackItem.objects.get(lead=first, kind=FeedbackKind.BAD_VERDICT)
    item_admin = admin.site._registry[FeedbackItem]
    request = RequestFactory().post("/")
    request.user = admin_user

    item.lead, item.reason = second, ReasonCode.objects.get(code="competitor")
    item_admin.save_model(request, item, form=None, change=True)
    assert carried(first) == Counter() and carried(second) == Counter({"competitor": 1})
    assert sum(reason_days().values()) == 1
    assert_in_step(first, second)

    item_admin.delete_model(request, item)
    assert carried(second) == Counter() and reason_days() == {}
    assert_in_step(first, second)


def test_the_evidence_counts_the_carried_reasons_like_the_items(marketer, rep):
    retail = VerticalFactory(name="Retail")
    for reason in ("timing", "timing", "no_budget"):
        lead = accepted_lead(marketer=marketer, rep=rep, industry=retail, country="DE")
        verdict_give(lead=lead, by=rep, verdict="bad", reason=reason)
    lost = accepted_lead(marketer=marketer, rep=rep, industry=retail, country="DE")
    lead_lose_with_feedback(lead=lost, by=rep, reason="timing")

    evidence = segment_evidence(vertical_id=retail.pk, country="DE")

    assert evidence["top_bad_reasons"] == [
        {"code": "timing", "label": "Bad timing", "count": 3},
        {"code": "no_budget", "label": "No budget", "count": 1},
    ]
    assert evidence["lost_reasons"] == [{"code": "timing", "label": "Bad timing", "count": 1}]
