"""The shared revenue dashboard, its CSV exports, the revenue goal and the weekly digest page."""

import csv
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone

from alignment.dashboard import (
    FIRST_DAY,
    LAST_DAY,
    csv_safe,
    dashboard_as_json,
    dashboard_figures,
    dashboard_filters_parse,
    dashboard_filters_shift,
    dashboard_tables,
)
from alignment.digest import digest_agenda, digest_week_parse
from alignment.errors import DomainError, InvalidInput
from alignment.forms import RevenueGoalForm
from alignment.goals import revenue_goal_history, revenue_goal_set
from alignment.models import Team
from alignment.templatetags.alignment_tags import money
from leads.models import Campaign, Source


def _dashboard_filters_or_default(request):
    """The filters from the URL; on a bad value, this quarter unfiltered and the message to show."""
    try:
        return dashboard_filters_parse(request.GET), None
    except InvalidInput as error:
        return dashboard_filters_parse({}), error


def _tables_for_display(tables):
    """The tables with amounts grouped by thousands (1,004,000.00) as on the rest of the page; the
    CSV export keeps plain numbers."""
    return {
        name: dict(
            table,
            rows=[[money(cell) if isinstance(cell, Decimal) else cell for cell in row] for row in table["rows"]],
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
        "first_day": FIRST_DAY,
        "last_day": LAST_DAY,
        "campaigns": Campaign.objects.order_by("name").only("id", "name"),
        "teams": Team.objects.order_by("name"),
        "sources": Source.choices,
    }
    return render(request, "alignment/dashboard.html", context, status=400 if error else 200)


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
                messages.success(request, f"The {goal.get_period_display().lower()} goal is now {goal.amount:,}.")
                return redirect("dashboard-goal")
        status = 400
    else:
        form = RevenueGoalForm(initial={"starts_on": timezone.localdate()})
        status = 200
    context = {"form": form, "history": revenue_goal_history()}
    return render(request, "alignment/revenue_goal_form.html", context, status=status)


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
        "error": error,
        # A week is named by any day in it, so the first week's link names its first allowed day.
        "previous_week": max(previous_week, FIRST_DAY) if previous_week + timedelta(days=6) >= FIRST_DAY else None,
        "next_week": next_week if next_week <= LAST_DAY else None,
        "picker_day": max(week, FIRST_DAY),
        "first_day": FIRST_DAY,
        "last_day": LAST_DAY,
    }
    return render(request, "alignment/digest.html", context, status=400 if error else 200)
