"""The weekly joint meeting: its items (agenda points, notes, decisions) and its action items.

Reads and writes of the planning side of the meeting. The agenda's digest figures (wins, bad
reasons, cold leads, open feedback) come from the top floor's digest, which the meeting page adds.
"""

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from alignment.days import date_text, day_parse
from alignment.errors import InvalidInput, NotAllowed, NotFound
from alignment.models import NotificationKind, Role, User
from alignment.services import notification_create
from leads.models import Campaign, Lead
from planning.models import (
    ActionItem,
    ActionItemReminder,
    CampaignRequest,
    Meeting,
    MeetingItem,
    MeetingItemKind,
    RequestStatus,
)

AGENDA_ROWS = 10


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def meeting_get_or_create(*, week: date) -> Meeting:
    """The meeting of the week containing `week`; made on first use (two at once make one)."""
    week = week_start(week)
    meeting = Meeting.objects.filter(week=week).first()
    if meeting is not None:
        return meeting
    try:
        with transaction.atomic():
            return Meeting.objects.create(week=week, created_at=timezone.now())
    except IntegrityError:
        return Meeting.objects.get(week=week)


def meeting_get(*, pk) -> Meeting:
    meeting = Meeting.objects.filter(pk=pk).first()
    if meeting is None:
        raise NotFound("No such meeting.")
    return meeting


def meeting_list():
    return Meeting.objects.order_by("-week")


@transaction.atomic
def meeting_item_add(*, meeting: Meeting, by: User, kind: str, text: str) -> MeetingItem:
    errors = {}
    if kind not in MeetingItemKind.values:
        errors["kind"] = [f"One of {', '.join(MeetingItemKind.values)}."]
    text = (text or "").strip()
    if not text:
        errors["text"] = ["This field is required."]
    if errors:
        raise InvalidInput("Some fields need a look.", fields=errors)
    return MeetingItem.objects.create(meeting=meeting, kind=kind, text=text, author=by, created_at=timezone.now())


def _ref(model, value, name, errors):
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    row = model.objects.filter(pk=value).first() if str(value).isdigit() else None
    if row is None:
        errors[name] = [f"Unknown {name}."]
    return row


@transaction.atomic
def action_item_create(
    *,
    by: User,
    title: str,
    owner,
    due,
    meeting: Meeting | None = None,
    lead=None,
    campaign=None,
    request=None,
) -> ActionItem:
    """Someone takes on a task in the meeting; every problem with it is named at once."""
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["This field is required."]
    elif len(title) > 300:
        errors["title"] = ["At most 300 characters."]
    if isinstance(owner, User):
        owner_row = owner
    else:
        owner_row = User.objects.filter(pk=owner, is_active=True).first() if str(owner or "").isdigit() else None
        if owner_row is None:
            errors["owner"] = ["Choose who does it." if owner in (None, "") else "Unknown person."]
    if isinstance(due, str) and due.strip():
        try:
            due = day_parse(due)
        except ValueError as error:
            errors["due"] = [str(error)]
    if not isinstance(due, date) and "due" not in errors:
        errors["due"] = ["This field is required."]
    lead_row = _ref(Lead, lead, "lead", errors)
    campaign_row = _ref(Campaign, campaign, "campaign", errors)
    request_row = _ref(CampaignRequest, request, "request", errors)
    if errors:
        raise InvalidInput("Some fields need a look.", fields=errors)
    item = ActionItem.objects.create(
        title=title,
        owner=owner_row,
        due=due,
        meeting=meeting,
        lead=lead_row,
        campaign=campaign_row,
        request=request_row,
        created_by=by,
        created_at=timezone.now(),
    )
    if owner_row != by:
        notification_create(
            recipient=owner_row,
            kind=NotificationKind.REMINDER,
            message=f"{by.display_name} gave you an action item: {title} (due {date_text(due)}).",
            url=reverse("planning:action-items"),
            actor=by,
        )
    return item


@transaction.atomic
def action_item_set_done(*, item: ActionItem, by: User, done: bool) -> ActionItem:
    """Its owner or a manager ticks it off (or opens it again)."""
    if by.pk != item.owner_id and by.role != Role.MANAGER:
        raise NotAllowed("Only the owner or a manager changes an action item.")
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    item.done = bool(done)
    item.done_at = timezone.now() if item.done else None
    item.save(update_fields=["done", "done_at"])
    return item


def action_items_overdue_remind(*, now: datetime | None = None) -> int:
    """Remind each owner of each open action item past its due date, once. The reminder row is
    unique per item: of any number of sweeps at once, the one whose insert wins sends it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    overdue = list(
        ActionItem.objects.filter(done=False, due__lt=today, reminder__isnull=True)
        .select_related("owner")
        .order_by("id")[:5000]
    )
    sent = 0
    for item in overdue:
        try:
            with transaction.atomic():
                ActionItemReminder.objects.create(action_item=item, at=now)
                notification_create(
                    recipient=item.owner,
                    kind=NotificationKind.REMINDER,
                    message=f"Overdue since {date_text(item.due)}: {item.title}",
                    url=reverse("planning:action-items"),
                )
        except IntegrityError:
            continue  # another sweep reminded it
        sent += 1
    return sent


# The lists of action items show each one's owner and meeting, and its lead, campaign and request
# only by id (links, the API's ids): no join reads those rows.
def action_items_open_before(*, week: date):
    """The open action items from earlier meetings (or none): what carries over to `week`'s agenda."""
    return (
        ActionItem.objects.filter(done=False)
        .filter(Q(meeting__isnull=True) | Q(meeting__week__lt=week))
        .select_related("owner", "meeting")
        .order_by("due", "id")
    )


def action_items_for_meeting(*, meeting: Meeting):
    return meeting.action_items.select_related("owner").order_by("due", "id")


def action_items_open_for(*, user: User):
    return ActionItem.objects.filter(owner=user, done=False).select_related("meeting").order_by("due", "id")


def meeting_planning_agenda(*, meeting: Meeting) -> dict:
    """The planning side of a meeting's agenda: requests waiting for triage, delivered requests'
    outcomes, the open action items carried over, and the items people added. Five queries."""
    new = CampaignRequest.objects.filter(status=RequestStatus.NEW).select_related("requester", "vertical")
    delivered = CampaignRequest.objects.filter(status=RequestStatus.DELIVERED).select_related(
        "requester", "vertical", "campaign"
    )
    return {
        "meeting": meeting,
        "new_requests": list(new.order_by("created_at", "id")[:AGENDA_ROWS]),
        "outcomes": list(delivered.order_by("-delivered_at", "-id")[:AGENDA_ROWS]),
        "carried_over": list(action_items_open_before(week=meeting.week)[:50]),
        "items": list(meeting.items.select_related("author").order_by("created_at", "id")),
        "action_items": list(action_items_for_meeting(meeting=meeting)),
    }
