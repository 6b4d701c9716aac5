from datetime import timedelta

from django.utils import timezone

from feedback.models import FeedbackItem
from feedback.selectors import feedback_inbox_for_rep, feedback_queue_for_user
from feedback.services import feedback_request, lead_win_with_feedback, verdict_give
from leads.models import Lead
from leads.services import lead_qualify
from tests.feedback.factories import accepted_lead


def _bad_item(marketer, rep, **fields):
    lead = accepted_lead(marketer=marketer, rep=rep, **fields)
    verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget", note="Frozen budget.")
    return FeedbackItem.objects.get(lead=lead)


def test_queue_search_matches_the_leads_name_email_start_or_company(marketer, rep, other_rep):
    ada = _bad_item(marketer, rep, name="Ada Lovelace", email="ada@engines.test", company="Analytical Engines")
    grace = _bad_item(marketer, rep, name="Grace Hopper", email="grace@navy.test", company="US Navy")

    def found(term, user=marketer):
        return list(feedback_queue_for_user(user=user, filters={"q": term}))

    assert found("lovelace") == [ada]
    assert found("GRACE@") == [grace]
    assert found("engines") == [ada]
    assert found("  ") == [ada, grace]
    assert found("navy.test") == []  # a domain alone is not a search, as on the lead list
    # the search narrows what the user may see; it never widens it
    assert found("ada", user=other_rep) == []


def test_rep_inbox_shows_the_first_unjudged_and_asked_leads_by_acceptance(marketer, rep, other_rep):
    # given a rep's accepted leads, accepted a day apart (the first is held longest)
    leads = [accepted_lead(marketer=marketer, rep=rep, name=f"Lead {i}") for i in range(6)]
    start = timezone.now() - timedelta(days=30)
    for i, lead in enumerate(leads):
        Lead.objects.filter(pk=lead.pk).update(accepted_at=start + timedelta(days=i))
    first, judged, won, asked, late, later = leads
    verdict_give(lead=judged, by=rep, verdict="good")
    lead_qualify(lead=won, by=rep)
    lead_win_with_feedback(lead=won, by=rep, amount="900")
    # marketing asks about the won lead (no longer worked) and about a later one
    feedback_request(lead=won, by=marketer, note="What closed it?")
    feedback_request(lead=asked, by=marketer, note="How was the demo?")
    # and another rep's lead, unjudged, accepted before all of them
    accepted_lead(marketer=marketer, rep=other_rep)

    # when the inbox is read three rows at a time
    shown = feedback_inbox_for_rep(user=rep, limit=3)

    # then the three held longest among the asked and the unjudged, the judged one left out, and
    # the won lead shown for its question alone
    assert [lead.pk for lead in shown] == [first.pk, won.pk, asked.pk]
    assert [lead.request_note for lead in shown] == [None, "What closed it?", "How was the demo?"]
    # and with room for more, the rest of the unjudged leads follow
    assert [lead.pk for lead in feedback_inbox_for_rep(user=rep)] == [first.pk, won.pk, asked.pk, late.pk, later.pk]
