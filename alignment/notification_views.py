"""Pages for notifications (`/notifications/`), each person's notification preferences
(`/account/preferences/`) and the managers' SLA settings (`/settings/sla/`)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alignment import selectors, services
from alignment.errors import DomainError, NotFound
from alignment.models import Role
from alignment.pagination import keyset_page
from alignment.sla import THRESHOLD_FIELDS, sla_clock_describe, sla_settings_get, sla_settings_update

PAGE_SIZE = 50


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _list_context(request) -> dict:
    qs = selectors.notification_list_for_user(user=request.user)
    page = keyset_page(qs, request, ordering=("-id",), param="before", size=PAGE_SIZE)
    return {
        "notifications": page.items,
        "next_before": page.items[-1].id if page.has_next else None,
        "next_query": page.next_query,
        "has_unread": any(not n.read for n in page.items) or selectors.notification_has_unread(user=request.user),
    }


@login_required
def notification_list(request):
    """Your notifications, newest first; `?before=<id>` pages back by keyset."""
    return render(request, "alignment/notification_list.html", _list_context(request))


def _notification_or_404(request, pk):
    try:
        return selectors.notification_get_for_user(user=request.user, pk=pk)
    except NotFound:
        raise Http404("No such notification.") from None


@login_required
def notification_open(request, pk):
    """Follow a notification to what it is about (a lead, a feedback item, the digest), marking it
    read on the way: having opened it is having read it. A plain link, so it opens in a new tab too;
    all it can change is the reader's own notice, once."""
    notification = services.notification_mark_read(notification=_notification_or_404(request, pk), by=request.user)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("alignment:notifications")
    return redirect(target)


@login_required
@require_POST
def notification_read(request, pk):
    """Mark one read. From htmx: the row, and the bell with its new count out of band."""
    notification = services.notification_mark_read(notification=_notification_or_404(request, pk), by=request.user)
    if _htmx(request):
        return render(request, "alignment/notification_row.html", {"notification": notification, "bell_oob": True})
    return redirect("alignment:notifications")


@login_required
@require_POST
def notification_read_all(request):
    """Mark all read. From htmx: the list as it now stands, and the bell out of band."""
    count = services.notification_mark_all_read(by=request.user)
    if _htmx(request):
        context = {**_list_context(request), "marked_read": count, "bell_oob": True}
        return render(request, "alignment/_notifications.html", context)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("alignment:notifications")


def _threshold(label):
    # Checked by `sla_settings_update` alone, so the page shows every field's problem at once.
    return forms.CharField(label=label, widget=forms.NumberInput(attrs={"min": "0", "step": "any"}))


class SlaSettingsForm(forms.Form):
    """Renders the settings; `sla_settings_update` is the one place that validates them."""

    sla_accept_hours = _threshold("Accept a handoff within (hours)")
    cold_after_days = _threshold("Activity at least every (days)")
    escalate_after_hours = _threshold("Escalate to managers after a reminder (hours)")
    feedback_response_days = _threshold("Answer feedback within (days)")
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


class PreferencesForm(forms.Form):
    email_notifications = forms.BooleanField(
        required=False, label="Email me my notifications (the weekly digest comes to everyone)"
    )
    chat_notifications = forms.BooleanField(
        required=False, label="Post my notifications and handoffs to chat (Slack or Teams)"
    )


@login_required
def preferences_edit(request):
    """Your own choice of email and chat; in-app notifications are always on."""
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            services.user_preferences_update(user=request.user, **form.cleaned_data)
            messages.success(request, "Preferences saved.")
            return redirect("alignment:preferences")
    else:
        user = request.user
        form = PreferencesForm(
            initial={"email_notifications": user.email_notifications, "chat_notifications": user.chat_notifications}
        )
    return render(request, "alignment/preferences_form.html", {"form": form})


@login_required
def sla_settings_edit(request):
    """Managers set the thresholds and the clock; the page says which clock applies."""
    if request.user.role != Role.MANAGER:
        raise PermissionDenied("Only managers change the SLA settings.")
    policy = sla_settings_get()
    status = 200
    if request.method == "POST":
        form = SlaSettingsForm(request.POST)
        form.is_valid()
        try:
            policy = sla_settings_update(
                data={name: request.POST.get(name, "") for name in form.fields}, by=request.user
            )
        except DomainError as error:
            for field, problems in error.fields.items():
                if field not in form.errors:
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, "SLA settings saved. They apply from the next sweep.")
            return redirect("alignment:sla-settings")
        status = 400
    else:
        initial = {name: getattr(policy, name) for name in SlaSettingsForm.base_fields}
        # Six stored places, shown as typed: 0.5, not 0.500000.
        initial.update({name: f"{initial[name].normalize():f}" for name in THRESHOLD_FIELDS})
        form = SlaSettingsForm(initial=initial)
    context = {"form": form, "policy": policy, "clock": sla_clock_describe(policy)}
    return render(request, "alignment/sla_settings_form.html", context, status=status)
