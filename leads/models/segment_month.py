from django.db import models


class SegmentMonth(models.Model):
    """The leads of one capture month (in UTC) in one place — their vertical (0 for none), country and
    region as the lead writes them: how many there are, judged (a current verdict), good and bad.
    Merged leads don't count. A row with a `theme` counts only the leads whose current verdict
    names it; a row with a `reason`, the bad reasons held against the leads, once per item (the
    texts each lead carries, split); the row with neither, all the place's leads.

    The plan's briefs sum a year of these rows instead of every lead of the year. On PostgreSQL
    the database keeps them in step itself: statement triggers on the lead table add what each
    statement inserted, updated or deleted, whichever path wrote it (leads/segment_rollup.py).
    Elsewhere nothing writes them and the plan groups the leads."""

    month = models.DateField(help_text="The first day of the leads' capture month, in UTC.")
    vertical = models.PositiveIntegerField(help_text="The leads' vertical's id; 0 for none.")
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=100, blank=True)
    theme = models.PositiveIntegerField(default=0, help_text="A pain theme's id (feedback.PainTheme); 0 for none.")
    reason = models.PositiveIntegerField(default=0, help_text="A reason code's id (leads.ReasonCode); 0 for none.")
    leads = models.IntegerField(default=0)
    judged = models.IntegerField(default=0)
    good = models.IntegerField(default=0)
    bad = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "vertical", "country", "region", "theme", "reason"],
                name="segment_month_key",
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.vertical}/{self.country}/{self.region}: {self.leads}"
