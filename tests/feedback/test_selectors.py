from feedback.models import FeedbackItem
from feedback.selectors import feedback_queue_for_user
from feedback.services import verdict_give
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
