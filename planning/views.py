"""Campaign request pages: marketing's queue-like list, one request with its evidence, outcome and
triage forms, and the form a rep or a manager files a request with."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from alignment.errors import DomainError, InvalidInput, NotAllowed, NotFound
from alignment.models import Role, Territory, User, Vertical
from alignment.pages import is_htmx, redirect_after_post
from alignment.pagination import keyset_page
from feedback.themes import pain_theme_list
from leads.selectors import campaign_list, lead_get_for_user
from planning import forms, selectors, services
from planning.models import RequestStatus

PAGE_SIZE = 50


def _request_or_404(user, pk):
    try:
        return selectors.campaign_request_get_for_user(user=user, pk=pk)
    except NotFound:
        raise Http404("No such campaign request.") from None


@login_required
def request_list(request):
    """Newest first by default (`?sort=oldest` for the longest waiting), 50 at a time by keyset."""
    user = request.user
    filters = {name: request.GET.get(name, "") for name in selectors.REQUEST_FILTERS}
    sort = "oldest" if request.GET.get("sort") == "oldest" else "newest"
    ordering = ("created_at", "id") if sort == "oldest" else ("-created_at", "-id")
    qs = selectors.campaign_request_list_for_user(user=user, filters=filters)
    page = keyset_page(qs, request, ordering=ordering, param="after", size=PAGE_SIZE)
    context = {
        "page": page,
        "filters": filters,
        "sort": sort,
        "statuses": RequestStatus.choices,
        "verticals": Vertical.objects.order_by("name"),
        "requesters": User.objects.filter(role__in=[Role.REP, Role.MANAGER], is_active=True).order_by("username")
        if user.role != Role.REP
        else (),
        "can_file": user.role in (Role.REP, Role.MANAGER),
    }
    return render(request, "planning/request_list.html", context)


def _filing_form(request, data=None):
    user = request.user
    initial = {}
    lead_id = request.GET.get("lead") or request.POST.get("lead")
    if data is None and lead_id and str(lead_id).isdigit():
        try:
            lead = lead_get_for_user(user=user, pk=int(lead_id))
        except NotFound:
            lead = None
        if lead is not None:
            territory = f"{lead.country}/{lead.region}" if lead.region else lead.country
            initial = {"vertical": str(lead.industry_id or ""), "territory": territory}
    if data is None and not initial and user.role == Role.REP:
        own_vertical = user.verticals.order_by("name").first()
        own_territory = user.territories.order_by("country", "region").first()
        initial = {
            "vertical": str(own_vertical.pk) if own_vertical else "",
            "territory": str(own_territory) if own_territory else "",
        }
    own = list(user.territories.order_by("country", "region")) if user.role == Role.REP else []
    others = Territory.objects.exclude(pk__in=[t.pk for t in own]).order_by("country", "region")[:200]
    return forms.CampaignRequestForm(
        data,
        user=user,
        initial=initial,
        themes=pain_theme_list(),
        territories=[str(t) for t in [*own, *others]],
    )


@login_required
def request_new(request):
    """A rep or a manager asks marketing for a campaign; from a lead page the form starts from the
    lead's segment, otherwise from the rep's own coverage. Every error shows at once."""
    if request.user.role not in (Role.REP, Role.MANAGER):
        raise PermissionDenied
    form = _filing_form(request, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                row = services.campaign_request_file(by=request.user, **form.service_kwargs())
            except NotAllowed:
                raise PermissionDenied from None
            except InvalidInput as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"Filed “{row.title}”: marketing has been told.")
                return redirect_after_post(request, reverse("planning:request", args=[row.pk]))
        status = 400
    context = {"form": form, "lead": request.GET.get("lead") or request.POST.get("lead") or ""}
    return render(request, "planning/request_form.html", context, status=status)


def _detail_context(request, row, **bound):
    user = request.user
    row = selectors.campaign_request_with_live_figures(row)
    can_triage = user.role in (Role.MARKETER, Role.MANAGER)
    return {
        "row": row,
        "can_triage": can_triage,
        "decline_form": bound.get("decline") or forms.DeclineForm(),
        "deliver_form": bound.get("deliver")
        or (forms.DeliverForm(campaigns=campaign_list(active_only=True)) if can_triage else None),
    }


@login_required
def request_detail(request, pk):
    row = _request_or_404(request.user, pk)
    return render(request, "planning/request_detail.html", _detail_context(request, row))


ACTIONS = {"accept": "accepted", "decline": "declined", "start": "started", "deliver": "delivered"}


@login_required
@require_POST
def request_action(request, pk, action):
    if action not in ACTIONS:
        raise Http404("No such action.")
    if request.user.role not in (Role.MARKETER, Role.MANAGER):
        raise PermissionDenied
    row = _request_or_404(request.user, pk)
    done_url = reverse("planning:request", args=[row.pk])
    bound = {}
    try:
        if action == "accept":
            services.campaign_request_accept(request=row, by=request.user)
        elif action == "start":
            services.campaign_request_start(request=row, by=request.user)
        elif action == "decline":
            bound["decline"] = forms.DeclineForm(request.POST)
            bound["decline"].is_valid()
            services.campaign_request_decline(
                request=row, by=request.user, reason=bound["decline"].cleaned_data.get("reason", "")
            )
        else:
            bound["deliver"] = forms.DeliverForm(request.POST, campaigns=campaign_list(active_only=True))
            if not bound["deliver"].is_valid():
                raise InvalidInput("Choose the campaign it became.", fields={"campaign": ["Choose a campaign."]})
            services.campaign_request_deliver(
                request=row, by=request.user, campaign=int(bound["deliver"].cleaned_data["campaign"])
            )
    except NotAllowed:
        raise PermissionDenied from None
    except InvalidInput as error:
        for form in bound.values():
            if not form.errors:
                form.add_service_errors(error)
        context = _detail_context(request, row, **bound)
        status = 422 if is_htmx(request) else 400
        return render(request, "planning/request_detail.html", context, status=status)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect_after_post(request, done_url)
    messages.success(request, f"Request {ACTIONS[action]}.")
    return redirect_after_post(request, done_url)
