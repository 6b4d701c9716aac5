"""The plan page: a mini-campaign proposed for each rep's segment, launched one or several at once."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from alignment.models import Role
from alignment.pages import redirect_after_post
from planning.campaigns import mini_campaigns_launch
from planning.plan import plan_for


def _require_marketing(user):
    if user.role not in (Role.MARKETER, Role.MANAGER):
        raise PermissionDenied


@login_required
def campaign_plan(request):
    _require_marketing(request.user)
    proposals = plan_for()
    open_count = sum(1 for p in proposals if p.served_by is None)
    return render(request, "planning/campaign_plan.html", {"proposals": proposals, "open_count": open_count})


@login_required
@require_POST
def campaign_plan_launch(request):
    """Launch one proposal (its own button, `one`) or the selected ones (`key`, many); each
    one's result is a message."""
    _require_marketing(request.user)
    keys = [request.POST["one"]] if request.POST.get("one") else request.POST.getlist("key")
    if not keys:
        messages.error(request, "Choose at least one mini-campaign to launch.")
    for _key, campaign, message in mini_campaigns_launch(by=request.user, keys=keys):
        (messages.success if campaign else messages.error)(request, message)
    return redirect_after_post(request, reverse("planning:campaign-plan"))
