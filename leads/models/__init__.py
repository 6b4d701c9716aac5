"""The leads app's models, one module per entity, all importable from here (`leads.models`):

- `reference`: lead sources, campaigns, reason codes (why a lead was rejected, judged bad or lost);
- `lead`: the lead itself — contact data, the status groups, its waterfall dates and current
  verdict — with its aliases (other emails), touches (captures) and timeline (`LeadEvent`);
- `handoff`: handoffs to reps, with their SLA deadline and their offers (one rep at a time), and
  the routing rules that choose the rep;
- `cold`: cold episodes and their reminders;
- `import_job`: CSV imports and their file's chunks;
- `lead_day`: the dashboard's daily roll-up (`LeadDay`);
- `score`: each lead's score (`LeadScore`), apart from the wide lead row;
- `theme_day`: voice of sales' daily roll-up of pain themes by segment (`ThemeDay`);
- `segment_month`: the plan's monthly roll-up of leads by segment (`SegmentMonth`).

Verdicts and feedback items are feedback's (`feedback.models`): a lead carries only its current
verdict, as a plain value.
"""

from leads.models.cold import ColdEpisode, ColdReason, Reminder
from leads.models.handoff import (
    SLA_OVERDUE_SQL,
    Handoff,
    HandoffOffer,
    HandoffOutcome,
    OfferOutcome,
    RoutingRule,
    sla_overdue,
)
from leads.models.import_job import ImportChunk, ImportJob, ImportStatus
from leads.models.lead import (
    ACCEPTED_OPEN_STATUSES,
    ACTIVITY_KINDS,
    LEAD_DATA_FIELDS,
    OPEN_STATUSES,
    VERDICT_STATUSES,
    CaptureChannel,
    EventKind,
    Lead,
    LeadAlias,
    LeadEvent,
    LeadStatus,
    Touch,
    VerdictValue,
)
from leads.models.lead_day import LeadDay
from leads.models.reference import Campaign, ReasonCode, Source, new_form_key
from leads.models.score import LeadScore
from leads.models.segment_month import SegmentMonth
from leads.models.theme_day import ThemeDay

__all__ = [
    "ACCEPTED_OPEN_STATUSES",
    "ACTIVITY_KINDS",
    "Campaign",
    "CaptureChannel",
    "ColdEpisode",
    "ColdReason",
    "EventKind",
    "Handoff",
    "HandoffOffer",
    "HandoffOutcome",
    "ImportChunk",
    "ImportJob",
    "ImportStatus",
    "LEAD_DATA_FIELDS",
    "Lead",
    "LeadScore",
    "LeadAlias",
    "LeadDay",
    "LeadEvent",
    "LeadStatus",
    "OPEN_STATUSES",
    "OfferOutcome",
    "ReasonCode",
    "Reminder",
    "RoutingRule",
    "SLA_OVERDUE_SQL",
    "SegmentMonth",
    "Source",
    "ThemeDay",
    "Touch",
    "VERDICT_STATUSES",
    "VerdictValue",
    "new_form_key",
    "sla_overdue",
]
