"""Page forms for campaign requests. They only read what a person typed: every rule (required
fields, a date in the future, a known territory) is the service's, so all errors come at once."""

from django import forms

from alignment.models import Vertical

ROWS = 3


class _Form(forms.Form):
    label_suffix = ""

    def add_service_errors(self, error):
        placed = False
        for name, messages in (getattr(error, "fields", None) or {}).items():
            if name in self.fields:
                for message in messages:
                    self.add_error(name, message)
                placed = True
        if not placed:
            self.add_error(None, error.message)


class CampaignRequestForm(_Form):
    title = forms.CharField(required=False, max_length=200, help_text="Required: what the campaign is about.")
    vertical = forms.ChoiceField(required=False, help_text="Required. Your own verticals come first.")
    territory = forms.CharField(
        required=False,
        max_length=120,
        help_text="Required: a country code, optionally with a region, e.g. DE or DE/Bavaria.",
    )
    pain_themes = forms.MultipleChoiceField(
        required=False, label="Pain themes it should speak to", widget=forms.CheckboxSelectMultiple
    )
    goal_leads = forms.CharField(
        required=False,
        label="How many leads",
        widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
        help_text="Required.",
    )
    needed_by = forms.CharField(
        required=False, label="Needed by", widget=forms.DateInput(attrs={"type": "date"}), help_text="A future date."
    )
    note = forms.CharField(
        required=False,
        max_length=10_000,
        label="Why",
        widget=forms.Textarea(attrs={"rows": ROWS}),
        help_text="What you hear from customers in this segment.",
    )

    def __init__(self, *args, user, themes=(), territories=(), **kwargs):
        super().__init__(*args, **kwargs)
        own = list(user.verticals.order_by("name")) if user.role == "rep" else []
        others = Vertical.objects.exclude(pk__in=[v.pk for v in own]).order_by("name")
        choices = [("", "Choose a vertical…")]
        if own:
            choices.append(("Your verticals", [(str(v.pk), v.name) for v in own]))
            choices.append(("Other verticals", [(str(v.pk), v.name) for v in others]))
        else:
            choices += [(str(v.pk), v.name) for v in others]
        self.fields["vertical"].choices = choices
        self.fields["pain_themes"].choices = [(theme.code, theme.label) for theme in themes]
        self.territories = list(territories)
        self.fields["territory"].widget.attrs["list"] = "territory-options"

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "vertical": data["vertical"],
            "territory": data["territory"],
            "pain_themes": data["pain_themes"],
            "goal_leads": data["goal_leads"],
            "needed_by": data["needed_by"],
            "note": data["note"],
        }


class DeclineForm(_Form):
    reason = forms.CharField(
        required=False, max_length=10_000, label="Why not", widget=forms.Textarea(attrs={"rows": ROWS})
    )


class DeliverForm(_Form):
    campaign = forms.ChoiceField(label="The campaign it became")

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", "Choose a campaign…"), *((str(c.pk), c.name) for c in campaigns)]


class CampaignForm(_Form):
    name = forms.CharField(required=False, max_length=200, help_text="Required.")
    source = forms.ChoiceField(required=False)
    vertical = forms.ChoiceField(required=False, help_text="Optional: the segment it is for.")
    territory = forms.CharField(required=False, max_length=120, help_text="Optional: DE or DE/Bavaria.")
    request = forms.ChoiceField(
        required=False, label="Delivers the request", help_text="Optional: a request in progress."
    )

    def __init__(self, *args, sources=(), requests=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = list(sources)
        self.fields["vertical"].choices = [
            ("", "Any vertical"),
            *((str(v.pk), v.name) for v in Vertical.objects.order_by("name")),
        ]
        self.fields["request"].choices = [("", "None"), *((str(r.pk), f"{r.title} ({r.segment})") for r in requests)]
