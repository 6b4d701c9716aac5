"""The dashboard's daily roll-up of leads (`LeadDay`); `leads.rollup` keeps it in step."""

from django.db import models

from leads.models.reference import Campaign, Source


class LeadDay(models.Model):
    """The dashboard's figures of one day (in the company's time zone) for one campaign, source,
    marketer and rep: the dashboard sums these rows instead of reading every lead.

    Activity columns count what happened that day (leads captured, handed off, …, won and their
    revenue); `cohort_*` columns count how far the leads captured that day have got since (and
    `cohort_good`/`cohort_bad` what their current verdict is); `good` and `bad` count the verdicts
    given that day that still stand. Every lead counts under its
    current campaign, source, marketer (`captured_by`) and rep (`owner`); 0 stands for nobody.
    The lead and verdict services keep these rows in step in the same transaction as the change
    (leads/rollup.py); `manage.py rebuild_dashboard` recomputes them from the leads.
    """

    day = models.DateField()
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    marketer = models.PositiveIntegerField(help_text="The capturing marketer's id; 0 for nobody.")
    rep = models.PositiveIntegerField(help_text="The owning rep's id; 0 for nobody.")

    captured = models.IntegerField(default=0)
    handed_off = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    qualified = models.IntegerField(default=0)
    won = models.IntegerField(default=0)
    won_revenue = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    cohort_handed_off = models.IntegerField(default=0)
    cohort_accepted = models.IntegerField(default=0)
    cohort_qualified = models.IntegerField(default=0)
    cohort_won = models.IntegerField(default=0)
    cohort_won_revenue = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    good = models.IntegerField(default=0)
    bad = models.IntegerField(default=0)
    cohort_good = models.IntegerField(default=0)
    cohort_bad = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "campaign", "source", "marketer", "rep"], name="lead_day_key"),
        ]

    def __str__(self):
        return f"{self.day} {self.campaign_id}/{self.source}/{self.marketer}/{self.rep}"
