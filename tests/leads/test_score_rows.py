"""Each lead's score row: written with the lead, following it into and out of a rep's work, and
what the rep's home reads to put the best of that work first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.capture import lead_capture, lead_capture_many
from leads.models import Lead, LeadScore
from leads.selectors import inbox_for_rep
from leads.services import lead_accept, lead_hand_off, lead_lose
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _working(count, *, rep, marketer, campaign):
    leads = []
    for n in range(count):
        lead = LeadFactory(campaign=campaign, name=f"Working {n}")
        lead_hand_off(lead=lead, rep=rep, note="Wants a demo.", by=marketer)
        leads.append(lead_accept(lead=Lead.objects.get(pk=lead.pk), by=rep))
    return leads


def test_every_captured_lead_has_its_score_row(marketer, campaign):
    one, _ = lead_capture(data={"email": "one@example.com", "name": "One"}, campaign=campaign, by=marketer)
    many = lead_capture_many(
        items=[({"email": f"m{n}@example.com"}, campaign) for n in range(3)]
        + [({"email": "one@example.com"}, campaign)],
        by=marketer,
    )

    ids = {one.pk, *(lead.pk for lead, _ in many)}
    assert len(ids) == 4
    assert set(LeadScore.objects.filter(lead_id__in=ids).values_list("lead_id", flat=True)) == ids
    assert LeadScore.objects.get(lead=one).score is None


def test_the_score_row_follows_the_lead_into_and_out_of_the_reps_work(rep, marketer, campaign):
    lead = LeadFactory(campaign=campaign)
    lead_hand_off(lead=lead, rep=rep, note="Wants a demo.", by=marketer)
    assert LeadScore.objects.get(lead=lead).working_owner is None  # offered, not yet worked

    lead = lead_accept(lead=Lead.objects.get(pk=lead.pk), by=rep)
    assert LeadScore.objects.get(lead=lead).working_owner == rep

    lead_lose(lead=lead, by=rep, reason="no_budget", note="Went with a competitor.")
    assert LeadScore.objects.get(lead=lead).working_owner is None


def test_the_home_puts_the_reps_best_work_first_then_the_longest_untouched(rep, other_rep, marketer, campaign):
    # given: more working leads than a page, several of them tied on one score
    leads = _working(8, rep=rep, marketer=marketer, campaign=campaign)
    scores = [0.9, 0.5, 0.5, 0.5, 0.2, 0.7, None, 0.5]
    now = timezone.now()
    for n, (lead, score) in enumerate(zip(leads, scores, strict=True)):
        LeadScore.objects.filter(lead=lead).update(score=score)
        Lead.objects.filter(pk=lead.pk).update(last_activity_at=now - timedelta(hours=n))
    # and a lead that left the rep's work for another rep's, whose row still names this rep
    moved = leads[0]
    Lead.objects.filter(pk=moved.pk).update(owner=other_rep)
    LeadScore.objects.filter(lead=moved).update(working_owner=rep)

    # when
    page = inbox_for_rep(user=rep, size=4)["working"]

    # then: 0.7, then the four at 0.5 the longest untouched first (the page is 4, one more to say
    # there is more); never the lead another rep works now
    expected = [leads[5], leads[7], leads[3], leads[2], leads[1]]
    assert [lead.pk for lead in page] == [lead.pk for lead in expected]
    assert [lead.score for lead in page] == [0.7, 0.5, 0.5, 0.5, 0.5]
