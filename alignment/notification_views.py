"""Pages for notifications (`/notifications/`) and the managers' SLA settings (`/settings/sla/`)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from alignment import selectors, services
from alignment.errors import DomainError, NotFound
from alignment.models import Role
from alignment.pagination import keyset_page
from alignment.sla import sla_clock_describe, sla_settings_get, sla_settings_update

PAGE_SIZE = 50


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
def notification_list(request):
    """Your notifications, newest first; `?before=<id>` pages back by keyset."""
    qs = selectors.notification_list_for_user(user=request.user)
    page = keyset_page(qs, request, ordering=("-id",), param="before", size=PAGE_SIZE)
    context = {
        "notifications": page.items,
        "next_before": page.items[-1].id if page.has_next else None,
        "next_query": page.next_query,
        "has_unread": any(not n.read for n in page.items) or selectors.notification_has_unread(user=request.user),
    }
    return render(request, "alignment/notification_list.html", context)


@login_required
@require_POST
def notification_read(request, pk):
    try:
        notification = selectors.notification_get_for_user(user=request.user, pk=pk)
    except NotFound:
        raise Http404("No such notification.") from None
    notification = services.notification_mark_read(notification=notification, by=request.user)
    if _htmx(request):
        return render(request, "alignment/notification_row.html", {"notification": notification})
    return redirect("notifications")


@login_required
@require_POST
def notification_read_all(request):
    count = services.notification_mark_all_read(by=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("notifications")


class SlaSettingsForm(forms.Form):
    sla_accept_hours = forms.DecimalField(
        label="Accept a handoff within (hours)", min_value=0.01, max_digits=7, decimal_places=2
    )
    cold_after_days = forms.DecimalField(
        label="Activity at least every (days)", min_value=0.01, max_digits=7, decimal_places=2
    )
    escalate_after_hours = forms.DecimalField(
        label="Escalate to managers after a reminder (hours)", min_value=0.01, max_digits=7, decimal_places=2
    )
    feedback_response_days = forms.DecimalField(
        label="Answer feedback within (days)", min_value=0.01, max_digits=7, decimal_places=2
    )
    business_hours = forms.CharField(
        required=False,
        max_length=100,
        help_text='Empty: every hour counts. Otherwise e.g. "Mon-Fri 09:00-17:00 Europe/Berlin".',
    )
    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Days that do not count (with business hours): YYYY-MM-DD, one a line.",
    )


@login_required
def sla_settings_edit(request):
    """Managers set the thresholds and the clock; the page says which clock applies."""
    if request.user.role != Role.MANAGER:
        raise PermissionDenied("Only managers change the SLA settings.")
    policy = sla_settings_get()
    status = 200
    if request.method == "POST":
        form = SlaSettingsForm(request.POST)
        if form.is_valid():
            try:
                policy = sla_settings_update(data=form.cleaned_data, by=request.user)
            except DomainError as error:
                for field, problems in error.fields.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                messages.success(request, "SLA settings saved. They apply from the next sweep.")
                return redirect("sla-settings")
        status = 400
    else:
        form = SlaSettingsForm(initial={name: getattr(policy, name) for name in SlaSettingsForm.base_fields})
    context = {"form": form, "policy": policy, "clock": sla_clock_describe(policy)}
    return render(request, "alignment/sla_settings_form.html", context, status=status)
