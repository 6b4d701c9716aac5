"""`/settings/webhooks/`: managers list, add and delete webhooks (event webhooks, and the Slack or
Teams webhooks of teams and people), see recent deliveries, redeliver."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from alignment.errors import DomainError, NotFound
from alignment.models import Role, Team, User, WebhookKind
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


class ChatWebhookForm(forms.Form):
    kind = forms.ChoiceField(
        label="Chat", choices=[(WebhookKind.SLACK, "Slack"), (WebhookKind.TEAMS, "Microsoft Teams")]
    )
    url = forms.CharField(label="Webhook URL", max_length=500)
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False, label="For a team")
    # A username rather than a select of every person: there may be thousands.
    user = forms.CharField(required=False, max_length=150, label="or for one person (username)")
    description = forms.CharField(required=False, max_length=200)

    def clean_user(self):
        username = self.cleaned_data["user"].strip()
        if not username:
            return None
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"Nobody is called {username!r}.")
        return user


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
    # The chat form's fields carry a prefix, so the two forms' fields have their own ids on the page.
    forms_ = {"form": WebhookForm(), "chat_form": ChatWebhookForm(prefix="chat")}
    if request.method == "POST":
        if request.POST.get("form") == "chat":
            name, form = "chat_form", ChatWebhookForm(request.POST, prefix="chat")
        else:
            name, form = "form", WebhookForm(request.POST)
        forms_[name] = form
        created = _create(form, by=request.user)
        if created is None:
            status = 400
        else:
            forms_[name] = type(form)(prefix=form.prefix)
    endpoints = list(selectors.webhook_endpoint_list_for_user(user=request.user)[:50])
    recent = selectors.webhook_recent_deliveries(endpoint_ids=[e.id for e in endpoints], per_endpoint=RECENT_DELIVERIES)
    rows = [(endpoint, recent[endpoint.id]) for endpoint in endpoints]
    context = {**forms_, "rows": rows, "created": created}
    return render(request, "alignment/webhook_settings.html", context, status=status)


def _create(form, *, by):
    """The new endpoint, or None with the problems on the form."""
    if not form.is_valid():
        return None
    try:
        return services.webhook_endpoint_create(**form.cleaned_data, by=by)
    except DomainError as error:
        for field, problems in error.fields.items():
            for problem in problems:
                form.add_error(field if field in form.fields else None, problem)
    return None


@login_required
@require_POST
def webhook_delete(request, pk):
    _require_manager(request)
    endpoint = _endpoint(request, pk)
    services.webhook_endpoint_delete(endpoint=endpoint, by=request.user)
    messages.success(request, f"Webhook to {endpoint.url} deleted.")
    return redirect("alignment:webhook-settings")


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
    return redirect("alignment:webhook-settings")
