"""Lead pages: thin. Parse the form, call one service or selector, render or redirect.

Every lead is fetched through the scoped selector, so a lead the user may not see is a 404; a
service's NotAllowed is a 403; bad input re-renders the form where it stood (see alignment/pages.py)
with the errors on their fields and changes nothing; a move the lead's state does not allow comes
back as a message.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alignment.errors import InvalidInput, NotAllowed, NotFound
from alignment.models import Role
from alignment.pages import form_post
from alignment.pagination import keyset_page, keyset_rows_before, row_count
from leads import capture, forms, lifecycle, selectors, services
from leads.bulk import BULK_MAX, bulk_action_choices
from leads.models import HandoffOutcome, Lead, LeadStatus
from leads.panels import lead_panels

PAGE_SIZE = 50
# Newest first: ids follow capture order.
LIST_ORDER = ("-id",)
# Best score first (`?ordering=-score`): the `lead_score` index's rank, unscored last, ties newest first.
SCORE_LIST_ORDER = ("-score_rank", "-id")
S = LeadStatus


def active_reasons():
    return list(selectors.reason_code_list())


def lead_or_404(user, pk):
    """The lead `user` may see, or a 404: a lead they may not see is as good as none."""
    try:
        return selectors.lead_get_for_user(user=user, pk=pk)
    except NotFound:
        raise Http404("No such lead.") from None


def _next_url(request, default):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _require_role(user, *roles):
    if user.role not in roles:
        raise PermissionDenied


# Offered by the feedback panel on the lead page, not by the page's own forms.
FEEDBACK_PANEL_ACTIONS = {"verdict", "request_feedback"}


def lead_actions(lead, user) -> set[str]:
    """The actions the lead page offers `user` on `lead` now: the services' own rule, asked with the
    prefetched handoffs."""
    latest = selectors.lead_latest_handoff(lead)
    open_handoff = latest if latest is not None and latest.outcome == HandoffOutcome.OPEN else None
    return lifecycle.lead_actions(lead=lead, user=user, open_handoff=open_handoff) - FEEDBACK_PANEL_ACTIONS


class _Choices:
    """The choice lists the lead page's forms need, each loaded once however many forms use it."""

    @cached_property
    def reasons(self):
        return active_reasons()

    @cached_property
    def reps(self):
        return list(selectors.rep_list())


def _no_context(lead) -> dict:
    return {}


@dataclass(frozen=True)
class LeadForm:
    """A form under "What you can do": its partial, its form class and the choice lists it takes."""

    template: str
    form_class: type
    choices: tuple[str, ...] = ()
    context: Callable[[Lead], dict] = _no_context


LEAD_FORMS = {
    "hand_off": LeadForm(
        "leads/_hand_off_form.html",
        forms.HandOffForm,
        ("reps",),
        lambda lead: {"overlap_warnings": selectors.lead_overlap_warnings(lead=lead)},
    ),
    "accept": LeadForm("leads/_accept_form.html", forms.ButtonForm),
    "reject": LeadForm("leads/_reject_form.html", forms.RejectForm, ("reasons",)),
    "activity": LeadForm("leads/_activity_form.html", forms.ActivityForm),
    "qualify": LeadForm("leads/_qualify_form.html", forms.ButtonForm),
    "won": LeadForm("leads/_won_form.html", forms.WinForm),
    "lost": LeadForm("leads/_lost_form.html", forms.LoseForm, ("reasons",)),
    "recycle": LeadForm("leads/_recycle_form.html", forms.RecycleForm),
    "snooze": LeadForm("leads/_snooze_form.html", forms.SnoozeForm),
}


def lead_form(action, lead, data=None, choices=None):
    """The form of `action` on `lead`, with ids of its own (the inbox shows one per lead)."""
    spec = LEAD_FORMS[action]
    choices = choices or _Choices()
    kwargs = {name: getattr(choices, name) for name in spec.choices}
    return spec.form_class(data, auto_id=f"id_{action}_{lead.pk}_%s", **kwargs)


def _action_forms(lead, actions, bound=None):
    """One unbound form per allowed action; `bound` (action, form) replaces one with the form that
    has errors, and may be one of another app's forms on the page (the verdict)."""
    choices = _Choices()
    built = {name: lead_form(name, lead, choices=choices) for name in LEAD_FORMS if name in actions}
    if bound is not None:
        built[bound[0]] = bound[1]
    return built


# The query string of the lead page that answers a capture from the page.
CHECK_DUPLICATES = "possible-duplicates"


def lead_page(request, lead, *, bound=None, status=200):
    """The lead page; `bound` is the (action, form) that came back with errors."""
    actions = lead_actions(lead, request.user)
    now = timezone.now()
    handoffs = list(lead.handoffs.all())
    context = {
        "lead": lead,
        "actions": actions,
        # The forms under "What you can do": editing contact data is a link elsewhere, not a form.
        "form_actions": actions - {"edit"},
        "forms": _action_forms(lead, actions, bound),
        "timeline": list(lead.events.all()),
        "handoffs": handoffs,
        "overdue_handoffs": {handoff.pk for handoff in handoffs if handoff.sla_overdue_at(now)},
        "overlap_warnings": selectors.lead_overlap_warnings(lead=lead) if "hand_off" in actions else [],
        # Right after a capture from the page: other leads that may be this person (one query then).
        "possible_duplicates": (
            selectors.lead_possible_duplicates(lead=lead, user=request.user)
            if CHECK_DUPLICATES in request.GET and "merge" in actions
            else []
        ),
        "now": now,
        # What the floors above add to the page (feedback's panels), registered in `leads.panels`.
        "lead_panels": lead_panels(),
    }
    return render(request, "leads/lead_detail.html", context, status=status)


@login_required
def lead_list(request):
    user = request.user
    campaigns = list(selectors.campaign_list())
    # A rep's list can be narrowed to the leads they hold now (their inbox's "see all" links).
    is_rep = user.role == Role.REP
    owners = [user] if is_rep else list(selectors.rep_list())
    filter_form = forms.LeadFilterForm(request.GET, campaigns=campaigns, owners=owners, no_owner=not is_rep)
    filters = filter_form.filters()
    leads = selectors.lead_list_for_user(user=user, filters=filters)
    ordering = SCORE_LIST_ORDER if filters.get("ordering") == selectors.SCORE_ORDERING else LIST_ORDER
    page = keyset_page(leads, request, ordering=ordering, param="after", previous_param="before", size=PAGE_SIZE)
    search = bool(filters.get("q"))
    total = row_count(leads, search=search)
    start = 1
    if page.items and not page.is_first_page:
        start += row_count(keyset_rows_before(leads, page.items[0], ordering=ordering), search=search).value
    context = {
        "leads": page.items,
        "filter_form": filter_form,
        "next_query": page.next_query,
        "previous_query": page.previous_query,
        "is_first_page": page.is_first_page,
        "first_query": page.first_query,
        "filtered": bool({name: value for name, value in filters.items() if name != "ordering"}),
        "by_score": ordering == SCORE_LIST_ORDER,
        "total": total,
        "start": start,
        "end": start + len(page.items) - 1,
        "can_bulk": user.role in (Role.MARKETER, Role.MANAGER),
        "bulk_max": BULK_MAX,
    }
    if context["can_bulk"]:
        context["bulk_actions"] = bulk_action_choices(user)
        context["reps"] = owners
    # htmx swaps just the results; a history restore (Back after the cache expired) needs the page.
    partial = request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request")
    template = "leads/_lead_results.html" if partial else "leads/lead_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def lead_create(request):
    _require_role(request.user, Role.MARKETER, Role.MANAGER)
    campaigns = list(selectors.campaign_list(active_only=True))
    form = forms.LeadCaptureForm(request.POST or None, campaigns=campaigns)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                lead, created = capture.lead_capture(
                    data=form.service_data(), campaign=form.cleaned_data["campaign"], by=request.user
                )
            except NotAllowed:
                raise PermissionDenied from None
            except InvalidInput as error:
                form.add_service_errors(error)
            else:
                if created:
                    messages.success(request, f"Lead {lead} captured. Hand it off when it is ready for sales.")
                    # The lead page then looks for leads with its name and company (see lead_page).
                    return redirect(reverse("leads:detail", args=[lead.pk]) + "?" + CHECK_DUPLICATES)
                else:
                    messages.info(
                        request,
                        f"{lead.email} was already captured: recorded a new touch on the existing lead "
                        f"({lead.touch_count} touches).",
                    )
                return redirect("leads:detail", pk=lead.pk)
        status = 400
    return render(request, "leads/lead_create.html", {"form": form, "campaigns": campaigns}, status=status)


@login_required
def lead_detail(request, pk):
    return lead_page(request, lead_or_404(request.user, pk))


@login_required
def lead_edit(request, pk):
    lead = lead_or_404(request.user, pk)
    _require_role(request.user, Role.MARKETER, Role.MANAGER)
    initial = {name: getattr(lead, name) for name in capture.CONTACT_FIELDS}
    initial.update(email=lead.email, estimated_value=lead.estimated_value, industry=lead.industry or "")
    form = forms.LeadEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                capture.lead_update(lead=lead, data=form.service_data(), by=request.user)
            except NotAllowed:
                raise PermissionDenied from None
            except InvalidInput as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Contact data saved.")
                return redirect("leads:detail", pk=lead.pk)
        status = 400
    return render(request, "leads/lead_edit.html", {"lead": lead, "form": form}, status=status)


# Posted by the rep's inbox with its accept and reject forms: a success answers in place, the row.
IN_PLACE_INBOX = "inbox"


def lead_action_run(request, pk, action, call, success):
    """Run `action` (a LEAD_FORMS key) posted from a page: `call(lead, data)` is its service call,
    `success` the message (or makes it from what the service returned). Answered by `form_post`:
    on bad input the form comes back in place, alone for htmx or within the lead page."""
    lead = lead_or_404(request.user, pk)
    spec = LEAD_FORMS[action]
    form = lead_form(action, lead, data=request.POST)
    in_inbox = request.POST.get("in_place") == IN_PLACE_INBOX

    def render_form(form):
        context = {"lead": lead, "form": form, "next": request.POST.get("next", ""), **spec.context(lead)}
        if in_inbox:
            context["in_place"] = IN_PLACE_INBOX
        return render(request, spec.template, context)

    def render_done(message):
        # The inbox row becomes what happened to it: the page stays where it was (static/js/app.js
        # then moves the focus on to the next lead waiting).
        response = render(request, "leads/_inbox_answered.html", {"lead": lead, "message": message})
        response["HX-Retarget"] = f"#inbox-item-{lead.pk}"
        response["HX-Reswap"] = "outerHTML"
        return response

    return form_post(
        request,
        form=form,
        save=lambda data: call(lead, data),
        success=success,
        done_url=_next_url(request, reverse("leads:detail", args=[lead.pk])),
        render_form=render_form,
        render_page=lambda form: lead_page(request, lead, bound=(action, form)),
        render_done=render_done if in_inbox else None,
    )


def lead_action_view(action, call, success):
    """The page view of one lead action: `call(request, lead, data)` calls its service."""

    @login_required
    @require_POST
    def view(request, pk):
        return lead_action_run(request, pk, action, lambda lead, data: call(request, lead, data), success)

    view.__name__ = view.__qualname__ = f"lead_{action}"
    return view


def _handed_off(handoff):
    if handoff.to_rep is None:
        return "No rep was available: the lead waits in the managers' queue."
    return f"Handed off to {handoff.to_rep.display_name}. The SLA clock is running."


lead_hand_off = lead_action_view(
    "hand_off",
    lambda request, lead, data: services.lead_hand_off(lead=lead, rep=data["rep"], note=data["note"], by=request.user),
    _handed_off,
)
lead_accept = lead_action_view(
    "accept",
    lambda request, lead, data: services.lead_accept(lead=lead, by=request.user),
    lambda lead: f"Accepted {lead}. It is in your working list now.",
)
lead_log_activity = lead_action_view(
    "activity",
    lambda request, lead, data: services.lead_log_activity(
        lead=lead, by=request.user, kind=data["kind"], note=data["note"]
    ),
    "Activity logged.",
)
lead_qualify = lead_action_view(
    "qualify", lambda request, lead, data: services.lead_qualify(lead=lead, by=request.user), "Lead qualified."
)
lead_recycle = lead_action_view(
    "recycle",
    lambda request, lead, data: services.lead_recycle(
        lead=lead, by=request.user, reason=data["reason"], reengage_after=data["reengage_after"]
    ),
    "Recycled to nurture.",
)
lead_snooze = lead_action_view(
    "snooze",
    lambda request, lead, data: services.lead_snooze(
        lead=lead, by=request.user, until=data["until"], reason=data["reason"]
    ),
    "Snoozed: it will not go cold until then.",
)
