from django.db import models


class ThemeDay(models.Model):
    """Voice of sales' counts of one day (in the company's time zone, as `LeadDay` counts its
    days): how many leads' current verdicts given that day name this pain theme, by the lead's
    segment — its vertical (0 for none), country and region as the lead writes them. A lead's
    current verdict and its themes are plain values on the lead (`verdict_at`, `verdict_themes`);
    the services that change them or the lead's segment keep these rows in step in the same
    transaction (leads/theme_rollup.py); `manage.py rebuild_dashboard` recomputes them from the
    verdicts."""

    day = models.DateField()
    vertical = models.PositiveIntegerField(help_text="The lead's vertical's id; 0 for none.")
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=100, blank=True)
    theme = models.PositiveIntegerField(help_text="The pain theme's id (feedback.PainTheme).")
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "vertical", "country", "region", "theme"], name="theme_day_key"),
        ]

    def __str__(self):
        return f"{self.day} {self.vertical}/{self.country}/{self.region} theme {self.theme}: {self.count}"
