"""The role homes, the shared revenue dashboard, its CSV exports, the revenue goal and the weekly digest page."""

import csv
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from alignment.days import company_today
from alignment.errors import DomainError, InvalidInput
from alignment.models import Role
from alignment.selectors import team_list
from alignment.spreadsheets import csv_safe
from alignment.templatetags.alignment_tags import currency
from dashboard.digest import digest_agenda, digest_meeting, digest_week_parse
from dashboard.figures import dashboard_as_json, dashboard_figures
from dashboard.forms import RevenueGoalForm
from dashboard.periods import FIRST_DAY, LAST_DAY, dashboard_filters_parse, dashboard_filters_shift
from dashboard.services import revenue_goal_history, revenue_goal_set
from dashboard.tables import dashboard_tables
from leads import forms as lead_forms
from leads import selectors as lead_selectors
from leads.models import ACCEPTED_OPEN_STATUSES, LeadStatus, Source

# --- the role homes ---------------------------------------------------------------------------


@login_required
def home(request):
    """A home per role: reps work their inbox, marketers their leads, managers the queue routing
    could not place."""
    user = request.user
    now = timezone.now()
    if user.role == Role.REP:
        return render(request, "dashboard/home_rep.html", rep_inbox_context(user=user, now=now))
    if user.role == Role.MANAGER:
        return render(request, "dashboard/home_manager.html", managers_queue_context(now=now))
    return render(request, "dashboard/home_marketer.html", marketer_home_context(user=user, now=now))


# A home shows the first page of each of its lists, with the total counted in SQL and a link to
# the keyset-paged lead list for the rest: a rep holding thousands of leads still gets a small page.
HOME_PAGE_SIZE = 25


def _first_page(queryset, size=HOME_PAGE_SIZE, rows=None) -> tuple[list, int]:
    """The first `size` rows (`rows` when read already, one more when there are more) and the
    total; the total costs a count only when the page is full."""
    rows = list(queryset[: size + 1]) if rows is None else rows
    if len(rows) <= size:
        return rows, len(rows)
    return rows[:size], queryset.count()


def _lead_list_url(**filters) -> str:
    return f"{reverse('leads:list')}?{urlencode(filters)}"


def rep_inbox_context(*, user, now) -> dict:
    """Handoffs waiting for the rep's answer, each with its own reject form (written out by the
    template from the reason codes), then their work; how many more wait beyond the first page."""
    inbox = lead_selectors.inbox_for_rep(user=user, size=HOME_PAGE_SIZE)
    handoffs, awaiting_count = _first_page(inbox["awaiting_all"], rows=inbox["awaiting"])
    awaiting = [
        {"handoff": handoff, "lead": handoff.lead, "overdue": handoff.sla_overdue_at(now)} for handoff in handoffs
    ]
    working, working_count = _first_page(inbox["working_all"], rows=inbox["working"])
    return {
        "awaiting": awaiting,
        "awaiting_count": awaiting_count,
        "awaiting_more": awaiting_count - len(awaiting),
        "reasons": list(lead_selectors.reason_code_list()) if handoffs else [],
        "awaiting_url": _lead_list_url(status=LeadStatus.HANDED_OFF, owner=user.pk),
        "working": working,
        "working_count": working_count,
        "working_urls": [
            (label, _lead_list_url(status=status, owner=user.pk))
            for status, label in LeadStatus.choices
            if status in ACCEPTED_OPEN_STATUSES
        ],
        "now": now,
        "next": reverse("dashboard:home"),
    }


def managers_queue_context(*, now) -> dict:
    """Leads routing could not place, each with a form to choose the rep."""
    handoffs, queue_count = _first_page(lead_selectors.managers_queue())
    reps = list(lead_selectors.rep_list()) if handoffs else []
    queue = [
        {
            "handoff": handoff,
            "lead": handoff.lead,
            "form": lead_forms.HandOffForm(
                reps=reps, auto_id=f"id_assign_{handoff.lead_id}_%s", initial={"note": handoff.note}
            ),
        }
        for handoff in handoffs
    ]
    return {
        "queue": queue,
        "queue_count": queue_count,
        "queue_url": _lead_list_url(status=LeadStatus.HANDED_OFF, owner=lead_selectors.NO_OWNER),
        "reps": reps,
        "now": now,
        "next": reverse("dashboard:home"),
    }


def marketer_home_context(*, user, now) -> dict:
    """The marketer's own recent leads, and the ones sales sent back that need an answer."""
    mine = lead_selectors.lead_list_for_user(user=user, filters={"captured_by": user.id})
    returned = lead_selectors.lead_list_for_user(
        user=user, filters={"status": LeadStatus.REJECTED, "captured_by": user.id}
    )
    returned_page, returned_count = _first_page(returned, size=20)
    return {
        "recent": list(mine[:10]),
        "returned": returned_page,
        "returned_count": returned_count,
        "returned_url": _lead_list_url(status=LeadStatus.REJECTED),
        "now": now,
    }


# --- the dashboard ----------------------------------------------------------------------------


def _dashboard_filters_or_default(request):
    """The filters from the URL; on a bad value, this quarter unfiltered and the message to show."""
    try:
        return dashboard_filters_parse(request.GET), None
    except InvalidInput as error:
        return dashboard_filters_parse({}), error


def _tables_for_display(tables):
    """The tables with amounts in the currency (€1,004,000) as the headline figures show them; the
    CSV export keeps plain numbers."""
    return {
        name: dict(
            table,
            rows=[[currency(cell) if isinstance(cell, Decimal) else cell for cell in row] for row in table["rows"]],
        )
        for name, table in tables.items()
    }


def _shifted_query(filters, step):
    """The previous or next month's or quarter's query string; "" for a custom period or past the edge."""
    query = dashboard_filters_shift(filters, step) if filters.kind != "custom" else None
    return urlencode(query) if query else ""


@login_required
def dashboard(request):
    """The same figures for every role, on purpose: both departments read one truth."""
    filters, error = _dashboard_filters_or_default(request)
    figures = dashboard_figures(filters=filters)
    context = {
        "filters": filters,
        "error": error,
        "figures": figures,
        "chart_data": dashboard_as_json(figures),
        "tables": _tables_for_display(dashboard_tables(figures)),
        "query": urlencode(filters.querystring),
        "previous_query": _shifted_query(filters, -1),
        "next_query": _shifted_query(filters, 1),
        "today": company_today(),
        "first_day": FIRST_DAY,
        "last_day": LAST_DAY,
        "campaigns": lead_selectors.campaign_list(),
        "teams": team_list(),
        "sources": Source.choices,
    }
    return render(request, "dashboard/dashboard.html", context, status=400 if error else 200)


@login_required
def dashboard_export(request, table):
    """One of the dashboard's tables as CSV, for the same filters as the page."""
    try:
        filters = dashboard_filters_parse(request.GET)
    except InvalidInput as error:
        return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")
    tables = dashboard_tables(dashboard_figures(filters=filters))
    if table not in tables:
        raise Http404("No such table.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{table}-{filters.start.isoformat()}-{filters.end.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow([csv_safe(cell) for cell in tables[table]["headers"]])
    for row in tables[table]["rows"]:
        writer.writerow([csv_safe(cell) for cell in row])
    return response


@login_required
def revenue_goal(request):
    """Managers set the goal of a month or quarter; everybody can read the goals and their history."""
    if request.method == "POST":
        if not request.user.is_manager:
            raise PermissionDenied("Only a manager sets the revenue goal.")
        form = RevenueGoalForm(request.POST)
        if form.is_valid():
            try:
                goal = revenue_goal_set(by=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, f"The {goal.get_period_display().lower()} goal is now {currency(goal.amount)}."
                )
                return redirect("dashboard:goal")
        status = 400
    else:
        form = RevenueGoalForm(initial={"starts_on": company_today()})
        status = 200
    context = {"form": form, "history": revenue_goal_history()}
    return render(request, "dashboard/revenue_goal_form.html", context, status=status)


@login_required
def dashboard_digest(request):
    """The weekly digest as a printable page, for any week (`?week=YYYY-MM-DD`, default last week)."""
    error = None
    try:
        week = digest_week_parse(request.GET.get("week"))
    except InvalidInput as exc:
        error = exc
        week = digest_week_parse(None)
    previous_week, next_week = week - timedelta(days=7), week + timedelta(days=7)
    context = {
        **digest_agenda(week=week),
        **digest_meeting(week),
        "error": error,
        # A week is named by any day in it, so the first week's link names its first allowed day.
        "previous_week": max(previous_week, FIRST_DAY) if previous_week + timedelta(days=6) >= FIRST_DAY else None,
        "next_week": next_week if next_week <= LAST_DAY else None,
        "picker_day": max(week, FIRST_DAY),
        "first_day": FIRST_DAY,
        "last_day": LAST_DAY,
    }
    return render(request, "dashboard/digest.html", context, status=400 if error else 200)
