"""The pieces of the rep's inbox that the live channel refreshes in place (static/js/live.js)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from alignment.models import Role
from dashboard.views import rep_inbox_context


@login_required
def home_awaiting(request):
    """The inbox's "Waiting for you" section as it is now: fetched when a handoff or an offer
    reaches the rep, or every so often while the live channel is down."""
    if request.user.role != Role.REP:
        raise PermissionDenied("Only reps have an inbox.")
    context = rep_inbox_context(user=request.user, now=timezone.now())
    return render(request, "dashboard/_rep_awaiting.html", context)
