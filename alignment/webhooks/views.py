"""`/settings/webhooks/`: managers list, add and delete webhooks, see recent deliveries, redeliver."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from alignment.errors import DomainError, NotFound
from alignment.models import Role
from alignment.webhooks import selectors, services
from alignment.webhooks.outbox import ALL_EVENTS, EVENT_TYPES

RECENT_DELIVERIES = 10


class WebhookForm(forms.Form):
    url = forms.CharField(label="URL", max_length=500)
    events = forms.MultipleChoiceField(
        choices=[(ALL_EVENTS, "All events"), *((e, e) for e in EVENT_TYPES)],
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(required=False, max_length=200)


def _require_manager(request):
    if request.user.role != Role.MANAGER:
        raise PermissionDenied("Only managers manage webhooks.")


def _endpoint(request, pk):
    try:
        return selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
    except NotFound:
        raise Http404("No such webhook.") from None


@login_required
def webhook_settings(request):
    """The list with each endpoint's latest deliveries, and the form to add one. A new endpoint's
    secret is shown on the page that answers the form, and never again."""
    _require_manager(request)
    created = None
    status = 200
    if request.method == "POST":
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                created = services.webhook_endpoint_create(**form.cleaned_data, by=request.user)
            except DomainError as error:
                for field, problems in error.fields.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
                status = 400
            else:
                form = WebhookForm()
        else:
            status = 400
    else:
        form = WebhookForm()
    endpoints = list(selectors.webhook_endpoint_list_for_user(user=request.user)[:50])
    recent = selectors.webhook_recent_deliveries(endpoint_ids=[e.id for e in endpoints], per_endpoint=RECENT_DELIVERIES)
    rows = [(endpoint, recent[endpoint.id]) for endpoint in endpoints]
    context = {"form": form, "rows": rows, "created": created}
    return render(request, "alignment/webhook_settings.html", context, status=status)


@login_required
@require_POST
def webhook_delete(request, pk):
    _require_manager(request)
    endpoint = _endpoint(request, pk)
    services.webhook_endpoint_delete(endpoint=endpoint, by=request.user)
    messages.success(request, f"Webhook to {endpoint.url} deleted.")
    return redirect("webhook-settings")


@login_required
@require_POST
def webhook_redeliver(request, pk, delivery_pk):
    _require_manager(request)
    endpoint = _endpoint(request, pk)
    try:
        delivery = selectors.webhook_delivery_get(endpoint=endpoint, pk=delivery_pk)
    except NotFound:
        raise Http404("No such delivery.") from None
    services.webhook_redeliver(delivery=delivery, by=request.user)
    messages.success(request, f"Event {delivery.event_id} will be sent again.")
    return redirect("webhook-settings")
