"""A person's data on request: everything held about them as JSON, and erasing it.

Erasing anonymises in place — the lead, its timeline notes, handoff notes, verdict notes, feedback
threads, the notifications and outgoing webhook events that name the person, failed import rows
and stored API replies — and keeps every record and number, so the dashboard, the scorecards and
the roll-up read the same before and after. Nothing is deleted but copies (stored API replies);
the erasure itself is on the lead's timeline, without the data.
"""

from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from alignment.errors import NotAllowed, NotFound
from alignment.models import IdempotencyRecord, LiveEvent, Notification, Role, User, WebhookEvent
from feedback.models import FeedbackItem, FeedbackReply, Verdict
from leads.capture import CONTACT_FIELDS, lead_normalise_email
from leads.models import EventKind, Handoff, ImportJob, Lead, LeadAlias, LeadEvent
from leads.services import lead_event_record
from leads.theme_rollup import theme_day_rows, theme_days_apply

ERASED = "[erased]"
ERASED_DOMAIN = "erased.invalid"


def _leads_of(email) -> list[Lead]:
    """The person's leads: the one with this email or the alias, and every lead merged with it."""
    email = lead_normalise_email(email)
    if not email:
        raise NotFound("Give the person's email address.")
    ids = set(Lead.objects.filter(email=email).values_list("pk", flat=True))
    ids |= set(LeadAlias.objects.filter(email=email).values_list("lead_id", flat=True))
    frontier = set(ids)
    while frontier:
        merged = Lead.objects.filter(merged_into__in=frontier).values_list("pk", flat=True)
        survivors = Lead.objects.filter(pk__in=frontier, merged_into__isnull=False).values_list(
            "merged_into", flat=True
        )
        frontier = (set(merged) | set(survivors)) - ids
        ids |= frontier
    if not ids:
        raise NotFound(f"No lead has the email {email}.")
    return list(Lead.objects.filter(pk__in=ids).select_related("campaign", "owner", "captured_by").order_by("pk"))


def _name(user):
    return user.username if user else None


def _at(value):
    return value.isoformat() if value else None


def person_export(*, email: str) -> dict:
    """Everything Alignment holds about the person with this email, as JSON-ready data."""
    people = []
    for lead in _leads_of(email):
        items = FeedbackItem.objects.filter(lead=lead).select_related("reason").order_by("id")
        replies = FeedbackReply.objects.filter(item__lead=lead).select_related("author").order_by("id")
        threads = {item.id: [] for item in items}
        for reply in replies:
            threads[reply.item_id].append({"at": _at(reply.created_at), "by": _name(reply.author), "body": reply.body})
        people.append(
            {
                "lead": {
                    "id": lead.id,
                    "email": lead.email,
                    **{field: getattr(lead, field) for field in CONTACT_FIELDS},
                    "industry": str(lead.industry) if lead.industry_id else "",
                    "status": lead.status,
                    "source": lead.source,
                    "campaign": lead.campaign.name,
                    "owner": _name(lead.owner),
                    "captured_by": _name(lead.captured_by),
                    "captured_at": _at(lead.captured_at),
                    "merged_into": lead.merged_into_id,
                    "other_emails": list(lead.aliases.values_list("email", flat=True)),
                    "recycle_reason": lead.recycle_reason,
                    "snooze_reason": lead.snooze_reason,
                },
                "touches": [
                    {"at": _at(t.at), "campaign": t.campaign.name, "channel": t.channel}
                    for t in lead.touches.select_related("campaign").order_by("at", "id")
                ],
                "timeline": [
                    {"at": _at(e.at), "kind": e.kind, "by": _name(e.actor), "note": e.note}
                    for e in lead.events.select_related("actor").order_by("at", "id")
                ],
                "handoffs": [
                    {
                        "at": _at(h.created_at),
                        "to": _name(h.to_rep),
                        "note": h.note,
                        "outcome": h.outcome,
                        "outcome_note": h.outcome_note,
                    }
                    for h in lead.handoffs.select_related("to_rep").order_by("created_at", "id")
                ],
                "verdicts": [
                    {
                        "at": _at(v.created_at),
                        "by": _name(v.rep),
                        "verdict": v.verdict,
                        "note": v.note,
                        "pain_points": v.pain_points,
                    }
                    for v in Verdict.objects.filter(lead=lead).select_related("rep").order_by("id")
                ],
                "feedback": [
                    {
                        "kind": item.kind,
                        "status": item.status,
                        "note": item.note,
                        "resolution": item.resolution,
                        "resolution_note": item.resolution_note,
                        "replies": threads[item.id],
                    }
                    for item in items
                ],
                "notifications": [
                    {"to": _name(n.recipient), "at": _at(n.created_at), "message": n.message}
                    for n in Notification.objects.filter(lead=lead).select_related("recipient").order_by("id")
                ],
            }
        )
    return {"email": lead_normalise_email(email), "exported_at": timezone.now().isoformat(), "leads": people}


def _scrub(text: str, words) -> str:
    for word in words:
        if word:
            text = _replace_ci(text, word)
    return text


def _replace_ci(text: str, word: str) -> str:
    lower, needle, out, start = text.lower(), word.lower(), [], 0
    while (found := lower.find(needle, start)) >= 0:
        out.append(text[start:found] + ERASED)
        start = found + len(word)
    return "".join(out) + text[start:]


@transaction.atomic
def person_forget(*, email: str, by: User | None) -> list[Lead]:
    """Anonymise the person with this email everywhere; `by` is a manager (None: the command line)."""
    if by is not None and by.role != Role.MANAGER:
        raise NotAllowed("Only managers erase a person's data.")
    erased = []
    for lead in _leads_of(email):
        # Locked as it is (a lead merged away takes no other write, but is erased too).
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        aliases = list(LeadAlias.objects.filter(lead=lead))
        emails = [lead.email, *(alias.email for alias in aliases)]
        words = [*emails, lead.name, lead.phone, lead.company]
        for alias in aliases:
            alias.email = f"erased-alias-{alias.pk}@{ERASED_DOMAIN}"
            alias.save(update_fields=["email"])
        for address in emails:
            as_text = ImportJob.objects.annotate(rows=Cast("failed_rows", TextField()))
            for job in as_text.filter(rows__icontains=address):
                _import_job_scrub(job, address)
            IdempotencyRecord.objects.annotate(body=Cast("response_body", TextField())).filter(
                body__icontains=address
            ).delete()
        for notification in Notification.objects.filter(lead=lead):
            notification.message = _scrub(notification.message, words)
            notification.save(update_fields=["message"])
        WebhookEvent.objects.filter(data__lead__id=lead.id).update(data={"lead": {"id": lead.id, "erased": True}})
        # The live stream's buffer of the day: what it said about the person is not worth keeping.
        LiveEvent.objects.filter(data__lead=lead.id).delete()
        LeadEvent.objects.filter(lead=lead).exclude(note="").update(note=ERASED)
        Handoff.objects.filter(lead=lead).update(note=ERASED, routing_reason="")
        Handoff.objects.filter(lead=lead).exclude(outcome_note="").update(outcome_note=ERASED)
        Verdict.objects.filter(lead=lead).update(note="", pain_points="")
        FeedbackItem.objects.filter(lead=lead).exclude(Q(note="") & Q(resolution_note="")).update(
            note=ERASED, resolution_note=""
        )
        FeedbackReply.objects.filter(item__lead=lead).update(body=ERASED)
        themes_before = theme_day_rows(lead)  # the region goes: its themes move to the country alone
        lead.email = f"erased-{lead.id}@{ERASED_DOMAIN}"
        for field in CONTACT_FIELDS:
            if field != "country":
                setattr(lead, field, "")
        lead.recycle_reason = lead.snooze_reason = ""
        lead.save(
            update_fields=["email", *[f for f in CONTACT_FIELDS if f != "country"], "recycle_reason", "snooze_reason"]
        )
        theme_days_apply(before=themes_before, after=theme_day_rows(lead))
        lead_event_record(lead, EventKind.EDIT, by=by, note="Personal data erased on request.")
        erased.append(lead)
    return erased


def _import_job_scrub(job: ImportJob, email: str) -> None:
    """Drop the failed rows (and their errors) that carry the email; the counts stay."""
    needle = email.lower()
    lines = {row["line"] for row in job.failed_rows if any(needle in str(cell).lower() for cell in row["values"])}
    if lines:
        job.failed_rows = [row for row in job.failed_rows if row["line"] not in lines]
        job.errors = [error for error in job.errors if error.get("line") not in lines]
        job.save(update_fields=["failed_rows", "errors"])
