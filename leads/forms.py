"""Page forms: they parse what a person typed; the services decide whether it is allowed.

Choice lists come in through the constructor (already loaded by the view), so a page showing many
forms, such as the inbox with a reject form per lead, runs one query for them, not one per form.
"""

from django import forms

from alignment.countries import country_form_field
from alignment.forms import DayField, ServiceForm
from leads.models import ACTIVITY_KINDS, LeadStatus, Source
from leads.selectors import NO_OWNER, SCORE_ORDERING

NOTE_ROWS = 3


def reason_choices(codes):
    """The reason codes as a choice list, after an empty "choose" entry."""
    return [("", "Choose a reason…"), *((code.code, code.label) for code in codes)]


class LeadDataForm(ServiceForm):
    email = forms.EmailField(max_length=254)
    name = forms.CharField(max_length=200, required=False)
    company = forms.CharField(max_length=200, required=False)
    title = forms.CharField(max_length=200, required=False, label="Job title")
    phone = forms.CharField(max_length=50, required=False)
    country = country_form_field()
    region = forms.CharField(max_length=100, required=False)
    industry = forms.CharField(max_length=100, required=False, help_text="The vertical, e.g. Manufacturing.")
    estimated_value = forms.DecimalField(
        required=False, min_value=0, max_digits=12, decimal_places=2, label="Estimated value"
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": NOTE_ROWS}))
    pain_points = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": NOTE_ROWS}))

    def service_data(self):
        return {name: value for name, value in self.cleaned_data.items() if name != "campaign"}


class LeadCaptureForm(LeadDataForm):
    field_order = ["campaign", "source", "email"]

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.campaigns = {str(c.pk): c for c in campaigns}
        self.fields["campaign"] = forms.ChoiceField(
            choices=[("", "Choose a campaign…"), *((str(c.pk), c.name) for c in campaigns)]
        )
        self.fields["source"] = forms.ChoiceField(
            choices=[("", "The campaign's source"), *Source.choices], required=False
        )
        self.order_fields(self.field_order)
        self.fields["campaign"].widget.attrs["autofocus"] = True

    def clean_campaign(self):
        return self.campaigns[self.cleaned_data["campaign"]]


class LeadEditForm(LeadDataForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autofocus"] = True


class ButtonForm(ServiceForm):
    """An action that is one button (accept, qualify): no fields, only what the service says."""


class HandOffForm(ServiceForm):
    rep = forms.ChoiceField(required=False, label="Hand off to")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": NOTE_ROWS}),
        label="The lead's story",
        help_text="Why this lead, what they want, what happened so far.",
    )

    def __init__(self, *args, reps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.reps = {str(r.pk): r for r in reps}
        self.fields["rep"].choices = [
            ("", "Route by rules"),
            *((str(r.pk), r.display_name if r.available else f"{r.display_name} (out of office)") for r in reps),
        ]

    def clean_rep(self):
        return self.reps.get(self.cleaned_data["rep"])


class _ReasonForm(ServiceForm):
    reason = forms.ChoiceField()
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices(reasons)


class RejectForm(_ReasonForm):
    pass


class LoseForm(_ReasonForm):
    pass


class ActivityForm(ServiceForm):
    kind = forms.ChoiceField(choices=[(k.value, k.label) for k in ACTIVITY_KINDS], label="What happened")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WinForm(ServiceForm):
    amount = forms.DecimalField(min_value=0.01, max_digits=12, decimal_places=2, label="Deal amount")


class RecycleForm(ServiceForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why back to nurture")
    reengage_after = DayField(required=False, label="Re-engage after")


class SnoozeForm(ServiceForm):
    until = forms.DateTimeField(
        label="Snooze until",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Enter a day and time such as 31 Dec 2026, 09:00 (or 2026-12-31 09:00)."},
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class LeadImportForm(forms.Form):
    label_suffix = ""
    campaign = forms.ModelChoiceField(queryset=None, empty_label="Choose a campaign…")
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, with a header row; an “email” column is required. Also read: name, company, title, "
        "phone, country, region, industry, estimated_value, notes, pain_points.",
    )

    def __init__(self, *args, campaigns, **kwargs):
        """`campaigns`: a queryset of the campaigns to import into, read when the form renders or validates."""
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns


class LeadFilterForm(forms.Form):
    """The lead list's filters, read from the URL; unknown values are ignored, never an error page."""

    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *LeadStatus.choices])
    campaign = forms.ChoiceField(required=False)
    owner = forms.ChoiceField(required=False)
    q = forms.CharField(required=False, max_length=200, label="Search")
    ordering = forms.ChoiceField(
        required=False, label="Sort", choices=[("", "Newest first"), (SCORE_ORDERING, "Best score first")]
    )

    def __init__(self, *args, campaigns=(), owners=(), no_owner=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", "Any campaign"), *((str(c.pk), c.name) for c in campaigns)]
        nobody = [(NO_OWNER, "Nobody (managers' queue, nurture, new)")] if no_owner else []
        self.fields["owner"].choices = [
            ("", "Any owner"),
            *nobody,
            *((str(u.pk), u.display_name) for u in owners),
        ]
        self.fields["q"].widget.attrs.update(placeholder="Name, email or company", type="search")

    def filters(self) -> dict:
        self.is_valid()  # an invalid filter is dropped; the valid ones still apply
        return {name: value for name, value in self.cleaned_data.items() if value}
