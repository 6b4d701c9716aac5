"""Webhook payloads: a lead as the webhook events carry it, built from the model alone.

The keys are the webhook's contract (`data.lead`: the lead as `GET /api/leads/<id>/` shows it,
without the timeline), kept here on the domain side rather than borrowed from the API's serializer,
so a field added to the API does not change what every receiver gets. The values are formatted as
the API formats them (datetimes in the current time zone, ISO 8601 with `Z` for UTC; decimals as
strings with their two places), and a test holds the two to the same values.
"""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from leads.models import Lead

# Changing this changes every receiver's payload: the test that pins it says so.
LEAD_PAYLOAD_FIELDS = (
    "id",
    "email",
    "name",
    "company",
    "title",
    "phone",
    "country",
    "region",
    "industry",
    "estimated_value",
    "source",
    "notes",
    "pain_points",
    "status",
    "owner",
    "campaign",
    "touch_count",
    "last_touch_at",
    "last_activity_at",
    "captured_at",
    "handed_off_at",
    "accepted_at",
    "qualified_at",
    "won_at",
    "lost_at",
    "won_amount",
    "recycle_count",
    "recycle_reason",
    "reengage_after",
    "snoozed_until",
    "snooze_reason",
)
CENTS = Decimal("0.01")


def _datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _money(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(str(value).strip())
    return f"{value.quantize(CENTS):f}"


def user_payload(user) -> dict | None:
    """A person in a payload: `{id, username}`, or None."""
    return {"id": user.id, "username": user.username} if user is not None else None


def lead_payload(lead: Lead) -> dict:
    """The lead as the webhooks send it. Reads only the lead and its owner, campaign and industry
    (select_related by the caller): no query."""
    return {
        "id": lead.id,
        "email": lead.email,
        "name": lead.name,
        "company": lead.company,
        "title": lead.title,
        "phone": lead.phone,
        "country": lead.country,
        "region": lead.region,
        "industry": lead.industry.name if lead.industry_id is not None else None,
        "estimated_value": _money(lead.estimated_value),
        "source": str(lead.source),
        "notes": lead.notes,
        "pain_points": lead.pain_points,
        "status": str(lead.status),
        "owner": user_payload(lead.owner),
        "campaign": {"id": lead.campaign.id, "name": lead.campaign.name},
        "touch_count": lead.touch_count,
        "last_touch_at": _datetime(lead.last_touch_at),
        "last_activity_at": _datetime(lead.last_activity_at),
        "captured_at": _datetime(lead.captured_at),
        "handed_off_at": _datetime(lead.handed_off_at),
        "accepted_at": _datetime(lead.accepted_at),
        "qualified_at": _datetime(lead.qualified_at),
        "won_at": _datetime(lead.won_at),
        "lost_at": _datetime(lead.lost_at),
        "won_amount": _money(lead.won_amount),
        "recycle_count": lead.recycle_count,
        "recycle_reason": lead.recycle_reason,
        "reengage_after": _date(lead.reengage_after),
        "snoozed_until": _datetime(lead.snoozed_until),
        "snooze_reason": lead.snooze_reason,
    }
