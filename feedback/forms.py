"""Page forms for the loop: they parse what a person typed; the services decide what is allowed.

Reason choices come in through the constructor (loaded once by the view or template tag).
"""

from django import forms

from alignment.countries import country_form_field
from alignment.forms import DayField, ServiceForm
from feedback.models import Resolution, VerdictValue
from leads.forms import reason_choices

ROWS = 3


class VerdictForm(ServiceForm):
    verdict = forms.ChoiceField(choices=VerdictValue.choices, widget=forms.RadioSelect)
    reason = forms.ChoiceField(required=False, help_text="Required when the lead is bad.")
    note = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": ROWS}))
    pain_points = forms.CharField(
        required=False,
        max_length=10_000,
        label="Customer's pain points",
        help_text="What they struggle with, in their words: marketing reads these.",
        widget=forms.Textarea(attrs={"rows": ROWS}),
    )
    pain_themes = forms.MultipleChoiceField(
        required=False,
        label="Pain themes",
        help_text="Which of these the customer struggles with.",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, reasons=(), themes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = reason_choices(reasons)
        self.fields["pain_themes"].choices = [(theme.code, theme.label) for theme in themes]


class FeedbackRequestForm(ServiceForm):
    note = forms.CharField(
        max_length=10_000,
        label="What would you like to know?",
        widget=forms.Textarea(attrs={"rows": ROWS}),
    )


class ReplyForm(ServiceForm):
    body = forms.CharField(
        max_length=10_000,
        label="Reply",
        widget=forms.Textarea(attrs={"rows": ROWS, "accesskey": "r", "data-feedback-reply": "1"}),
    )


class ResolveForm(ServiceForm):
    """Resolution plus what each one needs. For "data fixed", the lead's fields are prefilled and
    only the ones changed are sent to the service."""

    FIX_FIELDS = ("email", "name", "company", "title", "phone", "country", "region")

    resolution = forms.ChoiceField(choices=Resolution.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        required=False,
        max_length=10_000,
        help_text="What changed in the campaign, or why you dispute the verdict.",
        widget=forms.Textarea(attrs={"rows": ROWS}),
    )
    reason = forms.CharField(required=False, max_length=10_000, label="Why back to nurture")
    reengage_after = DayField(required=False, label="Re-engage after")
    email = forms.EmailField(required=False, max_length=254)
    name = forms.CharField(required=False, max_length=200)
    company = forms.CharField(required=False, max_length=200)
    title = forms.CharField(required=False, max_length=200, label="Job title")
    phone = forms.CharField(required=False, max_length=50)
    country = country_form_field()
    region = forms.CharField(required=False, max_length=100)

    def __init__(self, *args, resolutions=(), lead=None, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        if lead is not None:
            initial = {**{name: getattr(lead, name) for name in self.FIX_FIELDS}, **initial}
        super().__init__(*args, initial=initial, **kwargs)
        self.lead = lead
        if resolutions:
            self.fields["resolution"].choices = [(r, Resolution(r).label) for r in resolutions]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {"resolution": data["resolution"], "note": data["note"]}
        if data["resolution"] == Resolution.FIXED_DATA:
            kwargs["data"] = {
                name: data[name]
                for name in self.FIX_FIELDS
                if self.lead is None or (data[name] or "") != (getattr(self.lead, name) or "")
            }
        elif data["resolution"] == Resolution.RECYCLED:
            kwargs["reason"] = data["reason"]
            kwargs["reengage_after"] = data["reengage_after"]
        return kwargs


class ReasonCodeForm(ServiceForm):
    label = forms.CharField(max_length=100)
    code = forms.SlugField(
        required=False, max_length=50, help_text="Optional; made from the label when empty (e.g. no_budget)."
    )


class PainThemeForm(ServiceForm):
    label = forms.CharField(max_length=100)
    code = forms.SlugField(
        required=False, max_length=50, help_text="Optional; made from the label when empty (e.g. mobile_access)."
    )
