from django import forms

from alignment.forms import DayField
from alignment.models import Team
from dashboard.models import GoalPeriod


class RevenueGoalForm(forms.Form):
    period = forms.ChoiceField(choices=GoalPeriod.choices, initial=GoalPeriod.QUARTER)
    starts_on = DayField(
        label="Month or quarter containing",
        help_text="Any day of the month or quarter; the goal covers all of it.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label="The whole company",
        help_text="Without its own goal, the company's is the sum of the teams'.",
    )
    amount = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
