"""Writes of campaign requests: filing, triage, delivery, and keeping their figures current.

The state machine lives in `TRANSITIONS`: `new → accepted | declined` (a reason is required),
`accepted → in_progress → delivered` (linked to the campaign it became). Anything else is a 409.
Every status change tells the requester; a new request tells the marketers; each change is a
webhook event (`campaign_request.created`, `campaign_request.updated`) in the outbox, written in the
same transaction as the change.
"""

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from alignment.days import DAY_HINT, day_parse
from alignment.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from alignment.models import NotificationKind, Role, User, Vertical
from alignment.services import NotificationRow, notification_create, notification_create_many
from alignment.webhooks.outbox import webhook_event_emit
from feedback.themes import pain_themes_active
from leads.models import Campaign, RoutingRule
from planning.evidence import request_outcome, segment_evidence, territory_parse
from planning.models import OPEN_REQUEST_STATUSES, CampaignRequest, RequestStatus

R = RequestStatus

# (from, action) → to. The only moves a request makes.
TRANSITIONS = {
    (R.NEW, "accept"): R.ACCEPTED,
    (R.NEW, "decline"): R.DECLINED,
    (R.ACCEPTED, "start"): R.IN_PROGRESS,
    (R.IN_PROGRESS, "deliver"): R.DELIVERED,
}
MAX_GOAL_LEADS = 1_000_000
# Delivery rules come before the usual ones: the requester gets the segment's leads first.
DELIVERY_RULE_PRIORITY = 10


def _url(request: CampaignRequest) -> str:
    return reverse("planning:request", args=[request.pk])


def campaign_request_data(request: CampaignRequest) -> dict:
    """The request as the API shows it: the webhook events' `data.campaign_request`."""
    return {
        "id": request.pk,
        "title": request.title,
        "status": request.status,
        "requester": {"id": request.requester_id, "username": request.requester.username},
        "vertical": {"id": request.vertical_id, "name": request.vertical.name},
        "territory": request.territory,
        "pain_themes": sorted(theme.code for theme in request.pain_themes.all()),
        "goal_leads": request.goal_leads,
        "needed_by": request.needed_by.isoformat(),
        "campaign": {"id": request.campaign_id, "name": request.campaign.name} if request.campaign_id else None,
        "evidence": request.evidence,
        "outcome": request.outcome,
    }


def _emit(event_type: str, request: CampaignRequest, *, by: User | None) -> None:
    data = {"campaign_request": campaign_request_data(request), "actor": _actor(by)}
    webhook_event_emit(event_type=event_type, data=data)


def _actor(user) -> dict | None:
    return {"id": user.id, "username": user.username} if user is not None else None


def _clean(*, title, vertical, territory, goal_leads, needed_by, today: date) -> dict:
    """Every field's problem at once, so a form shows them all."""
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["This field is required."]
    elif len(title) > 200:
        errors["title"] = ["At most 200 characters."]
    vertical_row = None
    if isinstance(vertical, Vertical):
        vertical_row = vertical
    elif vertical in (None, ""):
        errors["vertical"] = ["This field is required."]
    else:
        text = str(vertical).strip()
        lookup = {"pk": int(text)} if text.isdigit() else {"name__iexact": text}
        vertical_row = Vertical.objects.filter(**lookup).first()
        if vertical_row is None:
            errors["vertical"] = ["Unknown vertical."]
    country = region = ""
    if not str(territory or "").strip():
        errors["territory"] = ["This field is required."]
    else:
        try:
            country, region = territory_parse(territory)
        except ValueError as error:
            errors["territory"] = [str(error)]
    if goal_leads in (None, ""):
        errors["goal_leads"] = ["This field is required."]
    else:
        try:
            if isinstance(goal_leads, bool | float) or not str(goal_leads).strip().isdigit():
                raise ValueError
            goal_leads = int(str(goal_leads).strip())
        except (TypeError, ValueError):
            errors["goal_leads"] = ["A whole number of leads."]
        else:
            if not 1 <= goal_leads <= MAX_GOAL_LEADS:
                errors["goal_leads"] = [f"Between 1 and {MAX_GOAL_LEADS:,} leads."]
    if isinstance(needed_by, str) and needed_by.strip():
        try:
            needed_by = day_parse(needed_by)
        except ValueError:
            needed_by = "not a date"
    if needed_by in (None, ""):
        errors["needed_by"] = ["This field is required."]
    elif not isinstance(needed_by, date):
        errors["needed_by"] = [DAY_HINT]
    elif needed_by <= today:
        errors["needed_by"] = ["A date in the future."]
    if errors:
        raise InvalidInput("Some fields need a look.", fields=errors)
    return {
        "title": title,
        "vertical": vertical_row,
        "country": country,
        "region": region,
        "goal_leads": goal_leads,
        "needed_by": needed_by,
    }


def _themes_or_errors(codes, errors_so_far: InvalidInput | None):
    try:
        themes = pain_themes_active(codes)
    except InvalidInput as error:
        if errors_so_far is None:
            raise
        errors_so_far.fields.update(error.fields)
        raise errors_so_far from None
    if errors_so_far is not None:
        raise errors_so_far
    return themes


@transaction.atomic
def campaign_request_file(
    *,
    by: User,
    title: str,
    vertical,
    territory: str,
    goal_leads,
    needed_by,
    pain_themes=(),
    note: str = "",
) -> CampaignRequest:
    """A rep or a manager asks marketing for a campaign. Alignment attaches the segment's evidence
    at once, and the marketers hear of it."""
    if by.role not in (Role.REP, Role.MANAGER):
        raise NotAllowed("Only a rep or a manager files campaign requests.")
    now = timezone.now()
    cleaned = errors = None
    try:
        cleaned = _clean(
            title=title,
            vertical=vertical,
            territory=territory,
            goal_leads=goal_leads,
            needed_by=needed_by,
            today=timezone.localdate(now),
        )
    except InvalidInput as error:
        errors = error
    themes = _themes_or_errors(pain_themes, errors)
    request = CampaignRequest.objects.create(
        **cleaned,
        requester=by,
        note=(note or "").strip(),
        evidence=segment_evidence(
            vertical_id=cleaned["vertical"].pk, country=cleaned["country"], region=cleaned["region"], now=now
        ),
        evidence_at=now,
        created_at=now,
        updated_at=now,
    )
    request.pain_themes.set(themes)
    marketers = User.objects.filter(role=Role.MARKETER, is_active=True).values_list("id", flat=True)
    message = f"{by.display_name} asks for a campaign: {request.title} ({request.segment})."
    notification_create_many(
        rows=[
            NotificationRow(pk, NotificationKind.REQUEST, None, message, _url(request), actor_id=by.pk)
            for pk in marketers
        ]
    )
    _emit("campaign_request.created", request, by=by)
    return request


def _lock(request: CampaignRequest) -> CampaignRequest:
    return (
        CampaignRequest.objects.select_for_update(of=("self",))
        .select_related("requester", "vertical", "campaign")
        .get(pk=request.pk)
    )


def _move(request: CampaignRequest, action: str, *, by: User, now, fields: dict, message: str) -> CampaignRequest:
    if by.role not in (Role.MARKETER, Role.MANAGER):
        raise NotAllowed("Only marketing or a manager triages campaign requests.")
    target = TRANSITIONS.get((request.status, action))
    if target is None:
        done = {"accept": "accepted", "decline": "declined", "start": "started", "deliver": "delivered"}[action]
        raise TransitionNotAllowed(f"A request that is {request.get_status_display().lower()} cannot be {done}.")
    request.status = target
    request.updated_at = now
    for name, value in fields.items():
        setattr(request, name, value)
    request.save(update_fields=["status", "updated_at", *fields])
    notification_create(
        recipient=request.requester,
        kind=NotificationKind.REQUEST,
        message=f"{by.display_name}: your request “{request.title}” — {message}",
        url=_url(request),
        actor=by,
    )
    _emit("campaign_request.updated", request, by=by)
    return request


@transaction.atomic
def campaign_request_accept(*, request: CampaignRequest, by: User) -> CampaignRequest:
    request = _lock(request)
    now = timezone.now()
    return _move(request, "accept", by=by, now=now, fields={"triaged_by": by, "triaged_at": now}, message="accepted.")


@transaction.atomic
def campaign_request_decline(*, request: CampaignRequest, by: User, reason: str) -> CampaignRequest:
    """Declining says why: the rep deserves a reason, and the meeting discusses it."""
    reason = (reason or "").strip()
    request = _lock(request)
    if TRANSITIONS.get((request.status, "decline")) and not reason:
        raise InvalidInput("Say why the request is declined.", fields={"reason": ["This field is required."]})
    now = timezone.now()
    fields = {"triaged_by": by, "triaged_at": now, "decline_reason": reason}
    return _move(request, "decline", by=by, now=now, fields=fields, message=f"declined: {reason}")


@transaction.atomic
def campaign_request_start(*, request: CampaignRequest, by: User) -> CampaignRequest:
    request = _lock(request)
    return _move(request, "start", by=by, now=timezone.now(), fields={}, message="marketing started on it.")


@transaction.atomic
def campaign_request_deliver(*, request: CampaignRequest, by: User, campaign: Campaign) -> CampaignRequest:
    """Delivered as `campaign`: from now on that campaign's leads in the segment go to the
    requester first (a routing rule that names the request; routing falls back to the usual rules
    while the requester is away or at capacity), and the outcome is measured."""
    request = _lock(request)
    if not isinstance(campaign, Campaign):
        campaign = Campaign.objects.filter(pk=campaign).first() if str(campaign or "").isdigit() else None
        if campaign is None:
            raise InvalidInput("Choose the campaign it became.", fields={"campaign": ["Unknown campaign."]})
    now = timezone.now()
    fields = {"campaign": campaign, "delivered_at": now}
    if TRANSITIONS.get((request.status, "deliver")):
        fields["routing_rule"] = delivery_rule_create(request=request, campaign=campaign)
    request = _move(request, "deliver", by=by, now=now, fields=fields, message=f"delivered as {campaign.name}.")
    request.outcome = request_outcome(request=request, now=now)
    request.outcome_at = now
    request.save(update_fields=["outcome", "outcome_at"])
    return request


def delivery_rule_create(*, request: CampaignRequest, campaign: Campaign) -> RoutingRule:
    """The rule that hands `campaign`'s leads in the request's segment to its requester."""
    name = f"Request #{request.pk}: {request.title}"[:100]
    rule, _ = RoutingRule.objects.update_or_create(
        name=name,
        defaults={
            "priority": DELIVERY_RULE_PRIORITY,
            "country": request.country,
            "region": request.region,
            "vertical": request.vertical,
            "campaign": campaign,
            "active": True,
        },
    )
    rule.reps.set([request.requester])
    return rule


@transaction.atomic
def campaign_request_refresh(*, request: CampaignRequest, now=None) -> CampaignRequest:
    """Bring the stored figures up to date: the evidence while the request is open, the outcome
    once delivered. (A declined request keeps the evidence it was judged on.)"""
    now = now or timezone.now()
    request = _lock(request)
    fields = []
    if request.status in OPEN_REQUEST_STATUSES:
        request.evidence = segment_evidence(
            vertical_id=request.vertical_id, country=request.country, region=request.region, now=now
        )
        request.evidence_at = now
        fields += ["evidence", "evidence_at"]
    if request.status == RequestStatus.DELIVERED:
        request.outcome = request_outcome(request=request, now=now)
        request.outcome_at = now
        fields += ["outcome", "outcome_at"]
    if fields:
        request.save(update_fields=fields)
    return request


def campaign_requests_refresh_all(*, now=None) -> int:
    """The beat's sweep: every open or delivered request's figures, one request at a time."""
    ids = list(
        CampaignRequest.objects.exclude(status=RequestStatus.DECLINED).order_by("id").values_list("id", flat=True)
    )
    for pk in ids:
        campaign_request_refresh(request=CampaignRequest(pk=pk), now=now)
    return len(ids)
