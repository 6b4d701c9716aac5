"""The meeting's forms (agenda points, notes, decisions, action items) and each person's action
items. The meeting page itself, with the digest's figures, is on the top floor; these forms
return to the page they came from (`next`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alignment.errors import InvalidInput, NotAllowed, NotFound
from alignment.models import User
from planning import meetings
from planning.models import ActionItem


def _back(request, default):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def _meeting_or_404(pk):
    try:
        return meetings.meeting_get(pk=pk)
    except NotFound:
        raise Http404("No such meeting.") from None


@login_required
@require_POST
def meeting_item_add(request, pk):
    meeting = _meeting_or_404(pk)
    try:
        meetings.meeting_item_add(
            meeting=meeting, by=request.user, kind=request.POST.get("kind", ""), text=request.POST.get("text", "")
        )
    except InvalidInput as error:
        messages.error(request, " ".join(m for ms in error.fields.values() for m in ms) or error.message)
    else:
        messages.success(request, "Added to the meeting.")
    return _back(request, reverse("planning:action-items"))


@login_required
@require_POST
def action_item_add(request, pk):
    meeting = _meeting_or_404(pk)
    try:
        meetings.action_item_create(
            by=request.user,
            title=request.POST.get("title", ""),
            owner=request.POST.get("owner", ""),
            due=request.POST.get("due", ""),
            meeting=meeting,
            lead=request.POST.get("lead", ""),
            campaign=request.POST.get("campaign", ""),
            request=request.POST.get("request", ""),
        )
    except InvalidInput as error:
        problems = "; ".join(f"{name}: {' '.join(ms)}" for name, ms in error.fields.items())
        messages.error(request, f"The action item was not added — {problems}")
    else:
        messages.success(request, "Action item added.")
    return _back(request, reverse("planning:action-items"))


@login_required
@require_POST
def action_item_done(request, pk):
    item = ActionItem.objects.filter(pk=pk).first()
    if item is None:
        raise Http404("No such action item.")
    try:
        meetings.action_item_set_done(item=item, by=request.user, done=request.POST.get("done") != "false")
    except NotAllowed:
        raise PermissionDenied from None
    return _back(request, reverse("planning:action-items"))


@login_required
def action_item_list(request):
    """The caller's open action items, oldest due first."""
    items = list(meetings.action_items_open_for(user=request.user)[:200])
    context = {"items": items, "today": timezone.localdate()}
    return render(request, "planning/action_items.html", context)


def people_for_action_items():
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
