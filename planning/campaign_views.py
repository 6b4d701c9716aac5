"""The page where marketing makes a campaign, for a segment or as a request's delivery."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse

from alignment.errors import InvalidInput, NotAllowed, NotFound
from alignment.models import Role
from alignment.pages import redirect_after_post
from leads.models import Source
from planning import forms, selectors
from planning.campaigns import campaign_create
from planning.models import RequestStatus


@login_required
def campaign_new(request):
    user = request.user
    if user.role not in (Role.MARKETER, Role.MANAGER):
        raise PermissionDenied
    in_progress = list(
        selectors.campaign_request_list_for_user(user=user, filters={"status": RequestStatus.IN_PROGRESS}).order_by(
            "created_at"
        )
    )
    initial = {"source": Source.WEB}
    wanted = request.GET.get("request", "")
    chosen = next((r for r in in_progress if str(r.pk) == wanted), None)
    if chosen is not None:
        initial.update(request=str(chosen.pk), vertical=str(chosen.vertical_id), territory=chosen.territory)
    data = request.POST if request.method == "POST" else None
    form = forms.CampaignForm(data, initial=initial, sources=Source.choices, requests=in_progress)
    status = 200
    if data is not None:
        if form.is_valid():
            fields = form.cleaned_data
            try:
                campaign_request = None
                if fields["request"]:
                    campaign_request = selectors.campaign_request_get_for_user(user=user, pk=int(fields["request"]))
                campaign = campaign_create(
                    by=user,
                    name=fields["name"],
                    source=fields["source"],
                    vertical=fields["vertical"],
                    territory=fields["territory"],
                    request=campaign_request,
                )
            except NotAllowed:
                raise PermissionDenied from None
            except (InvalidInput, NotFound) as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request, f"Made the campaign “{campaign.name}”; its public form key is {campaign.form_key}."
                )
                done = (
                    reverse("planning:request", args=[campaign_request.pk])
                    if campaign_request
                    else reverse("feedback:campaigns")
                )
                return redirect_after_post(request, done)
        status = 400
    return render(request, "planning/campaign_form.html", {"form": form}, status=status)
