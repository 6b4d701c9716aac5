from datetime import timedelta

import time_machine

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


def leads_carry_their_verdicts():
    """Copy each current verdict onto its lead, as `verdict_give` does, for verdicts a test stored
    by hand (the roll-up counts a lead's verdict from the lead)."""
    from feedback.models import Verdict
    from leads.models import Lead

    for verdict in Verdict.objects.filter(current=True):
        Lead.objects.filter(pk=verdict.lead_id).update(verdict=verdict.verdict, verdict_at=verdict.created_at)


def verdict_after(*, lead, rep, hours, verdict="good", reason=None):
    """`rep`'s verdict on `lead`, given through the service `hours` after the lead's handoff."""
    from feedback.services import verdict_give

    with time_machine.travel(lead.handed_off_at + timedelta(hours=hours), tick=False):
        return verdict_give(lead=lead, by=rep, verdict=verdict, reason=reason)
