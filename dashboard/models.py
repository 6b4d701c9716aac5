"""The top floor's own rows: the shared revenue goal and the weekly digest's deliveries."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


class GoalPeriod(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class RevenueGoal(models.Model):
    """The revenue goal for one month or quarter, set by a manager: the company's (no team) or a team's.

    Changing a goal adds a row and the old one stops being current, so the history of who promised
    what, and when, is kept; the dashboard reads the current rows. Without a goal of its own, the
    company's is the sum of its teams' goals.
    """

    period = models.CharField(max_length=7, choices=GoalPeriod.choices)
    # The first day of the month or quarter.
    starts_on = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    note = models.TextField(blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField()
    current = models.BooleanField(default=True)
    # None: the whole company's goal.
    team = models.ForeignKey("alignment.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "alignment_revenuegoal"  # created when the goal lived in the base app
        ordering = ["-starts_on", "period", "-set_at", "-id"]
        constraints = [
            # Two constraints, because a NULL team never collides with another in a unique index.
            models.UniqueConstraint(
                fields=["period", "starts_on"],
                condition=models.Q(current=True, team__isnull=True),
                name="revenue_goal_one_current",
            ),
            models.UniqueConstraint(
                fields=["period", "starts_on", "team"],
                condition=models.Q(current=True, team__isnull=False),
                name="revenue_goal_one_current_per_team",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="revenue_goal_amount_ge_0"),
        ]

    def __str__(self):
        scope = self.team.name if self.team_id else "company"
        return f"{self.get_period_display()} from {self.starts_on} ({scope}): {self.amount}"


class DigestDelivery(models.Model):
    """One member's weekly digest. The unique row is what makes it go out once per week per member,
    however many beat processes or workers try: whoever claims the row sends it."""

    week = models.DateField(help_text="The Monday of the week the digest is about.")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests")
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "alignment_digestdelivery"  # created when the digest lived in the base app
        ordering = ["-week", "member_id"]
        constraints = [models.UniqueConstraint(fields=["week", "member"], name="digest_once_per_week_per_member")]
        verbose_name_plural = "digest deliveries"
