"""Planning's pieces on other floors' pages: the homes include a partial that calls this tag."""

from django import template
from django.utils import timezone

from alignment.models import Role
from planning.meetings import action_items_open_for
from planning.models import OPEN_REQUEST_STATUSES, CampaignRequest, RequestStatus

register = template.Library()

HOME_ROWS = 5


@register.inclusion_tag("planning/_home_requests_body.html", takes_context=True)
def planning_home_requests(context):
    """A rep's open requests (newest five), or for marketing the requests waiting for triage
    (oldest five, with their age), and the caller's open action items. Two queries."""
    user = context["request"].user
    if user.role == Role.REP:
        rows = CampaignRequest.objects.filter(requester=user, status__in=OPEN_REQUEST_STATUSES).order_by("-created_at")
        title = "Your campaign requests"
    elif user.role in (Role.MARKETER, Role.MANAGER):
        rows = CampaignRequest.objects.filter(status=RequestStatus.NEW).order_by("created_at")
        title = "Campaign requests waiting for triage"
    else:
        return {"show": False}
    return {
        "show": True,
        "title": title,
        "rows": list(rows.select_related("vertical", "requester")[:HOME_ROWS]),
        "can_file": user.role in (Role.REP, Role.MANAGER),
        "user": user,
        "action_items": list(action_items_open_for(user=user)[:10]),
        "today": timezone.localdate(),
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }
