"""The managers' routing-rules pages: list, add, change and delete the rules routing tries in order.

They go through the same services as `/api/routing-rules/` (`leads.routing_rules`), so a page and an
integration cannot disagree about what a valid rule is, and every change lands in the audit log.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from alignment.countries import country_name
from alignment.errors import InvalidInput, NotFound
from alignment.forms import ServiceForm
from alignment.models import Role, User, Vertical
from leads import routing_rules
from leads.models import Campaign


class RoutingRuleForm(ServiceForm):
    name = forms.CharField(max_length=100)
    countries = forms.CharField(
        required=False,
        max_length=2000,
        label="Countries",
        help_text="ISO codes or English names, separated by commas (e.g. DE, Austria). Empty matches any country.",
    )
    verticals = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked matches any vertical."
    )
    campaign = forms.ChoiceField(required=False)
    reps = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Reps, in turn",
        help_text="None ticked: every available rep who covers the lead's territory and vertical.",
    )
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, verticals=(), campaigns=(), reps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["verticals"].choices = [(str(v.pk), v.name) for v in verticals]
        self.fields["campaign"].choices = [("", "Any campaign"), *((str(c.pk), c.name) for c in campaigns)]
        self.fields["reps"].choices = [(str(r.pk), r.display_name) for r in reps]

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "countries": [part.strip() for part in data["countries"].split(",") if part.strip()],
            "verticals": [int(pk) for pk in data["verticals"]],
            "campaign": int(data["campaign"]) if data["campaign"] else None,
            "reps": [int(pk) for pk in data["reps"]],
            "active": data["active"],
        }


def _form(data=None, rule=None):
    initial = None
    if rule is not None:
        initial = {
            "name": rule.name,
            "countries": ", ".join(routing_rules.routing_rule_countries(rule)),
            "verticals": [str(pk) for pk in routing_rules.routing_rule_verticals(rule)],
            "campaign": str(rule.campaign_id or ""),
            "reps": [str(rep.pk) for rep in rule.reps.all()],
            "active": rule.active,
        }
    return RoutingRuleForm(
        data,
        initial=initial,
        verticals=Vertical.objects.order_by("name"),
        campaigns=Campaign.objects.order_by("name"),
        reps=User.objects.filter(role=Role.REP, is_active=True).order_by("first_name", "last_name", "username"),
    )


def _require_manager(user):
    if user.role != Role.MANAGER:
        raise PermissionDenied("Only managers manage routing rules.")


def _rule_or_404(user, pk):
    try:
        return routing_rules.routing_rule_get_for_user(user=user, pk=pk)
    except NotFound:
        raise Http404("No such routing rule.") from None


def _rows(rules):
    """Each rule with its criteria in words, verticals named in one query."""
    names = dict(Vertical.objects.values_list("pk", "name"))
    return [
        {
            "rule": rule,
            "countries": [f"{country_name(code)} ({code})" for code in routing_rules.routing_rule_countries(rule)],
            "verticals": [names.get(pk, str(pk)) for pk in routing_rules.routing_rule_verticals(rule)],
            "region": rule.region,
        }
        for rule in rules
    ]


@login_required
def routing_rule_list(request):
    """Every rule in the order routing tries it, and a form to add one (tried last)."""
    _require_manager(request.user)
    form = _form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = routing_rules.routing_rule_create(data=form.service_data(), by=request.user)
        except InvalidInput as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Added the rule “{rule.name}”; it is tried after the others.")
            return redirect("leads:routing-rules")
    rules = routing_rules.routing_rule_list_for_user(user=request.user)
    status = 400 if request.method == "POST" else 200
    return render(request, "leads/routing_rule_list.html", {"form": form, "rows": _rows(rules)}, status=status)


@login_required
def routing_rule_edit(request, pk):
    _require_manager(request.user)
    rule = _rule_or_404(request.user, pk)
    form = _form(request.POST if request.method == "POST" else None, rule=rule)
    if request.method == "POST" and form.is_valid():
        try:
            rule = routing_rules.routing_rule_update(rule=rule, data=form.service_data(), by=request.user)
        except InvalidInput as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Saved the rule “{rule.name}”.")
            return redirect("leads:routing-rules")
    status = 400 if request.method == "POST" else 200
    return render(request, "leads/routing_rule_form.html", {"form": form, "rule": rule}, status=status)


@login_required
@require_POST
def routing_rule_delete(request, pk):
    _require_manager(request.user)
    rule = _rule_or_404(request.user, pk)
    name = rule.name
    routing_rules.routing_rule_delete(rule=rule, by=request.user)
    messages.success(request, f"Deleted the rule “{name}”. Leads it routed keep their reason.")
    return redirect("leads:routing-rules")
