"""Feedback pages: thin. Parse the form, call one service or selector, render or redirect.

Every item and lead is fetched through a scoped selector, so what the user may not see is a 404; a
service's NotAllowed is a 403; bad input re-renders the form where it stood (see alignment/pages.py)
with the errors on their fields and changes nothing; a move the item's or lead's state does not
allow comes back as a message.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alignment.errors import DomainError, InvalidInput, NotAllowed, NotFound
from alignment.models import Role
from alignment.pages import form_post
from alignment.pagination import keyset_page
from alignment.sla import sla_settings_get
from feedback import forms, scorecard, selectors, services
from feedback.code_list_views import code_list_edit
from feedback.models import FeedbackKind, FeedbackStatus, Resolution
from feedback.themes import pain_theme_list
from leads import reason_codes as lead_reason_codes
from leads import selectors as lead_selectors
from leads.selectors import campaign_list
from leads.views import lead_action_view, lead_or_404, lead_page

PAGE_SIZE = 50


def _item_or_404(user, pk):
    try:
        return selectors.feedback_item_get_for_user(user=user, pk=pk)
    except NotFound:
        raise Http404("No such feedback item.") from None


def _next_url(request, default):
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _require_role(user, *roles):
    if user.role not in roles:
        raise PermissionDenied


# --- the queue --------------------------------------------------------------------------------


@login_required
def feedback_queue(request):
    """The queue, oldest first, a page of 50 at a time (keyset on the creation time and id: `?after=`
    the last item seen for the newer ones, `?before=` the first one for the older ones). An htmx
    request (a filter changed, a page turned) gets the results alone."""
    user = request.user
    filters = {name: request.GET.get(name, "") for name in selectors.QUEUE_FILTERS}
    filters["status"] = filters["status"] or FeedbackStatus.OPEN
    items = selectors.feedback_queue_for_user(user=user, filters=filters)
    page = keyset_page(
        items, request, ordering=("created_at", "id"), param="after", previous_param="before", size=PAGE_SIZE
    )
    policy = sla_settings_get()
    cutoff = selectors.feedback_overdue_cutoff(policy=policy)
    for item in page.items:
        item.overdue = selectors.feedback_item_is_overdue(item, cutoff=cutoff)
    context = {
        "items": page.items,
        "filters": filters,
        "filtered": any(filters[name] for name in selectors.QUEUE_FILTERS if name != "status"),
        "threshold_days": policy.feedback_response_days,
        "next_query": page.next_query,
        "previous_query": page.previous_query,
    }
    partial = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    if partial:
        response = render(request, "feedback/_feedback_queue_results.html", context)
    else:
        context.update(
            statuses=[*FeedbackStatus.choices, ("all", "All")],
            kinds=FeedbackKind.choices,
            campaigns=campaign_list(),
            reasons=lead_selectors.reason_code_list(active_only=False),
            people=selectors.feedback_people(user=user),
        )
        response = render(request, "feedback/feedback_queue.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _item_context(request, item, *, reply_form=None, resolve_form=None):
    user = request.user
    can_resolve = (
        item.status == FeedbackStatus.OPEN
        and item.kind in services.RESOLUTIONS_FOR_KIND
        and (user.role == Role.MANAGER or (user.role == Role.MARKETER and user.id == item.marketer_id))
    )
    resolutions = services.RESOLUTIONS_FOR_KIND.get(item.kind, ())
    next_item = selectors.feedback_next_open_item_for_user(user=user, after=item)
    return {
        "item": item,
        "lead": item.lead,
        "replies": list(item.replies.all()),
        "can_reply": item.status != FeedbackStatus.RESOLVED,
        "can_resolve": can_resolve,
        "reply_form": reply_form or forms.ReplyForm(),
        "resolve_form": resolve_form or forms.ResolveForm(resolutions=resolutions, lead=item.lead),
        "overdue": selectors.feedback_item_is_overdue(item, cutoff=selectors.feedback_overdue_cutoff()),
        "next_item": next_item,
    }


@login_required
def feedback_item(request, pk):
    item = _item_or_404(request.user, pk)
    return render(request, "feedback/feedback_item.html", _item_context(request, item))


def _item_form_post(request, item, form, *, save, success, done_url, template, name):
    """A form on the item page, answered by `form_post`: `name` is its key in the page's context."""
    return form_post(
        request,
        form=form,
        save=save,
        success=success,
        done_url=done_url,
        render_form=lambda form: render(request, template, {"item": item, name: form}),
        render_page=lambda form: render(
            request, "feedback/feedback_item.html", _item_context(request, item, **{name: form})
        ),
    )


@login_required
@require_POST
def feedback_reply(request, pk):
    item = _item_or_404(request.user, pk)
    return _item_form_post(
        request,
        item,
        forms.ReplyForm(request.POST, auto_id=f"id_reply_{item.pk}_%s"),
        save=lambda data: services.feedback_reply(item=item, by=request.user, body=data["body"]),
        success="Reply sent.",
        done_url=reverse("feedback:item", args=[item.pk]) + "#conversation-end",
        template="feedback/_reply_form.html",
        name="reply_form",
    )


@login_required
@require_POST
def feedback_resolve(request, pk):
    _require_role(request.user, Role.MARKETER, Role.MANAGER)
    item = _item_or_404(request.user, pk)
    resolutions = services.RESOLUTIONS_FOR_KIND.get(item.kind, ())
    form = forms.ResolveForm(
        request.POST, resolutions=resolutions or Resolution.values, lead=item.lead, auto_id=f"id_resolve_{item.pk}_%s"
    )
    return _item_form_post(
        request,
        item,
        form,
        save=lambda data: services.feedback_resolve(item=item, by=request.user, **form.service_kwargs()),
        success=lambda _: f"Resolved: {Resolution(form.cleaned_data['resolution']).label.lower()}.",
        done_url=reverse("feedback:item", args=[item.pk]),
        template="feedback/_resolve_form.html",
        name="resolve_form",
    )


# --- verdicts and requests from the lead page and the inbox -----------------------------------


@login_required
@require_POST
def verdict_give(request, pk):
    lead = lead_or_404(request.user, pk)
    form = forms.VerdictForm(
        request.POST,
        reasons=lead_selectors.reason_code_list(),
        themes=pain_theme_list(),
        auto_id=f"id_verdict_{lead.pk}_%s",
    )

    def success(_):
        label = "good" if form.cleaned_data["verdict"] == "good" else "bad"
        return f"Marked {lead} as {label}; marketing has been told."

    context = {"lead": lead, "next": request.POST.get("next", "")}
    return form_post(
        request,
        form=form,
        save=lambda data: services.verdict_give(lead=lead, by=request.user, **data),
        success=success,
        done_url=_next_url(request, reverse("leads:detail", args=[lead.pk])),
        render_form=lambda form: render(request, "feedback/_verdict_form.html", {**context, "form": form}),
        render_page=lambda form: lead_page(request, lead, bound=("verdict", form)),
    )


@login_required
@require_POST
def feedback_request(request, pk):
    lead = lead_or_404(request.user, pk)
    form = forms.FeedbackRequestForm(request.POST)
    default = reverse("leads:detail", args=[lead.pk])
    if form.is_valid():
        try:
            services.feedback_request(lead=lead, by=request.user, note=form.cleaned_data["note"])
        except NotAllowed:
            raise PermissionDenied from None
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Feedback requested; the rep has been told.")
    else:
        messages.error(request, "Say what you would like to know.")
    return redirect(_next_url(request, default))


# --- outcomes on the lead page that tell marketing ---------------------------------------------


lead_reject = lead_action_view(
    "reject",
    lambda request, lead, data: services.lead_reject_with_feedback(
        lead=lead, by=request.user, reason=data["reason"], note=data["note"]
    ),
    lambda lead: f"Rejected {lead}. Marketing has been told why.",
)
lead_win = lead_action_view(
    "won",
    lambda request, lead, data: services.lead_win_with_feedback(lead=lead, by=request.user, amount=data["amount"]),
    "Won! The revenue counts toward the shared goal.",
)
lead_lose = lead_action_view(
    "lost",
    lambda request, lead, data: services.lead_lose_with_feedback(
        lead=lead, by=request.user, reason=data["reason"], note=data["note"]
    ),
    "Marked as lost. Marketing sees the reason.",
)


# --- scorecard, voice of sales, reason codes --------------------------------------------------


@login_required
def campaign_scorecard(request):
    _require_role(request.user, Role.MARKETER, Role.MANAGER)
    period = scorecard.scorecard_period(request.GET.get("period"))
    sort = request.GET.get("sort", "name")
    if sort.lstrip("-") not in scorecard.SCORECARD_SORTS:
        sort = "name"
    rows = scorecard.campaign_scorecard(period=period, sort=sort)
    columns = [
        ("name", "Campaign"),
        ("captured", "Captured"),
        ("handed_off", "Handed off"),
        ("acceptance_rate", "Accepted"),
        ("good_share", "Good"),
        ("bad_share", "Bad"),
        ("median_time_to_verdict", "Time to verdict"),
        ("won_revenue", "Won revenue"),
        ("cost_per_won", "Cost per won deal"),
    ]
    headers = []
    for key, label in columns:
        active = sort.lstrip("-") == key
        descending = sort.startswith("-")
        # A second click reverses the order; figures sort largest first the first time.
        first_click = key if key == "name" else f"-{key}"
        next_sort = (key if descending else f"-{key}") if active else first_click
        headers.append(
            {
                "key": key,
                "label": label,
                "sort": next_sort,
                "aria": ("descending" if descending else "ascending") if active else "none",
            }
        )
    context = {
        "rows": rows,
        "period": period,
        "periods": [(key, label) for key, (label, _) in scorecard.PERIODS.items()],
        "sort": sort,
        "headers": headers,
    }
    return render(request, "feedback/campaign_scorecard.html", context)


@login_required
def voice_of_sales(request):
    _require_role(request.user, Role.MARKETER, Role.MANAGER)
    group_by = "campaign" if request.GET.get("group_by") == "campaign" else "vertical"
    q = request.GET.get("q", "")[:200]
    result = selectors.voice_of_sales(q=q, group_by=group_by)
    return render(request, "feedback/voice_of_sales.html", {"result": result, "group_by": group_by, "q": q})


@login_required
def reason_codes(request):
    """Managers add, rename and retire reason codes; everyone else may not see this page."""
    _require_role(request.user, Role.MANAGER)
    form = forms.ReasonCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            code = lead_reason_codes.reason_code_create(by=request.user, **form.cleaned_data)
        except InvalidInput as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Added the reason “{code.label}”.")
            return redirect("feedback:reasons")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "reasons": lead_selectors.reason_code_list(active_only=False)}
    return render(request, "feedback/reason_codes.html", context, status=status)


@login_required
@require_POST
def reason_code_edit(request, pk):
    _require_role(request.user, Role.MANAGER)
    try:
        reason = lead_selectors.reason_code_get(pk=pk)
    except NotFound:
        raise Http404("No such reason code.") from None
    return code_list_edit(
        request, codes=lead_reason_codes.REASON_CODES, row=reason, back="feedback:reasons", restored="in use again"
    )
