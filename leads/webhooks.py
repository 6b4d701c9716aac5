"""Lead webhooks: the events the lead services (and feedback's) emit, with the lead as
`leads.payloads` builds it.

Each is recorded in the transaction of the change it reports (`alignment.webhooks.outbox`); when no
webhook subscribes to an event, nothing is serialised or written.
"""

from alignment.caching import webhook_endpoints_active_cached
from alignment.webhooks.outbox import webhook_events_emit_many, webhook_subscribers
from leads.models import Lead, LeadStatus
from leads.payloads import lead_payload, user_payload

# The webhook event each lifecycle move emits (moving to "working" is not one).
TRANSITION_EVENTS = {
    LeadStatus.HANDED_OFF: "lead.handed_off",
    LeadStatus.ACCEPTED: "lead.accepted",
    LeadStatus.REJECTED: "lead.rejected",
    LeadStatus.QUALIFIED: "lead.qualified",
    LeadStatus.WON: "lead.won",
    LeadStatus.LOST: "lead.lost",
    LeadStatus.NURTURE: "lead.recycled",
}


def lead_event_emit(*, event_type: str, lead: Lead, by=None, refresh: bool = False, **extra) -> None:
    """Record `event_type` about `lead` for the webhooks that want it: `{lead, actor, **extra}`.
    `refresh` reads the lead again first, for a caller whose instance a service has since changed."""
    endpoint_ids = webhook_subscribers(event_type)
    if not endpoint_ids:
        return
    if refresh:
        lead = Lead.objects.select_related("owner", "campaign", "industry").get(pk=lead.pk)
    data = {"lead": lead_payload(lead), "actor": user_payload(by), **extra}
    webhook_events_emit_many(event_type=event_type, items=[data], endpoint_ids=endpoint_ids)


def lead_events_emit_many(*, event_type: str, extras: dict[int, dict], endpoints=None) -> int:
    """Record `event_type` for many leads at once (`extras`: lead id → the event's other fields):
    one query for the leads and one INSERT each for the events and their deliveries, however many.
    `endpoints` is `webhook_endpoints_active()`, when the caller emits several types."""
    endpoint_ids = webhook_subscribers(event_type, endpoints=endpoints)
    if not endpoint_ids or not extras:
        return 0
    leads = Lead.objects.filter(id__in=list(extras)).select_related("owner", "campaign", "industry").order_by("id")
    items = [{"lead": lead_payload(lead), "actor": None, **extras[lead.id]} for lead in leads]
    return len(webhook_events_emit_many(event_type=event_type, items=items, endpoint_ids=endpoint_ids))


def lead_events_emit_loaded(*, event_type: str, leads: list[Lead], by=None, **extra) -> None:
    """Record `event_type` for leads already in memory with their owner, campaign and industry (a
    batch just captured): no query for the leads, one INSERT each for the events and deliveries."""
    if not leads:
        return
    endpoint_ids = webhook_subscribers(event_type, endpoints=webhook_endpoints_active_cached())
    if endpoint_ids:
        items = [{"lead": lead_payload(lead), "actor": user_payload(by), **extra} for lead in leads]
        webhook_events_emit_many(event_type=event_type, items=items, endpoint_ids=endpoint_ids)
