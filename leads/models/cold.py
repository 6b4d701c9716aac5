"""Going cold: a lead's cold episodes and the reminders each sends."""

from django.db import models
from django.db.models import Q

from leads.models.lead import Lead


class ColdReason(models.TextChoices):
    NOT_ACCEPTED = "not_accepted", "Not accepted within the SLA"
    NO_ACTIVITY = "no_activity", "No activity"


class ColdEpisode(models.Model):
    """A stretch during which a lead is cold; at most one open per lead, closed by any activity."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="cold_episodes")
    reason = models.CharField(max_length=14, choices=ColdReason.choices)
    cold_since = models.DateTimeField()
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=Q(closed_at__isnull=True), name="cold_episode_one_open_per_lead"
            ),
        ]
        indexes = [
            models.Index(fields=["opened_at"], name="cold_open", condition=Q(closed_at__isnull=True)),
        ]


class Reminder(models.Model):
    """Level 1 wakes the rep and the marketer; level 2 escalates to the managers. Exactly once per
    episode and level: the unique constraint stands behind it, however many sweeps run."""

    episode = models.ForeignKey(ColdEpisode, on_delete=models.CASCADE, related_name="reminders")
    level = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["episode", "level"], name="reminder_once_per_level"),
            models.CheckConstraint(condition=Q(level__in=[1, 2]), name="reminder_level_1_or_2"),
        ]
