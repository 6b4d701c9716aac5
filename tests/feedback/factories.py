from leads.services import lead_accept, lead_hand_off
from tests.leads.factories import LeadFactory


def accepted_lead(*, marketer, rep, **fields):
    """A lead captured by `marketer`, handed to `rep` and accepted, through the services."""
    lead = LeadFactory(captured_by=marketer, **fields)
    lead_hand_off(lead=lead, rep=rep, note="Met at the fair; wants a demo.", by=marketer)
    lead_accept(lead=lead, by=rep)
    lead.refresh_from_db()
    return lead


def handed_off_lead(*, marketer, rep, **fields):
    lead = LeadFactory(captured_by=marketer, **fields)
    lead_hand_off(lead=lead, rep=rep, note="Downloaded the whitepaper twice.", by=marketer)
    lead.refresh_from_db()
    return lead
