"""Handoffs of leads to reps and the routing rules that choose the rep."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from leads.models.lead import Lead
from leads.models.reference import Campaign, ReasonCode


class RoutingRule(models.Model):
    """Leads matching the rule go round-robin to its reps who are available and under capacity.

    An empty country, vertical or campaign matches anything. Rules are tried by priority (lowest first); the
    first rule with an eligible rep wins, and when none has one the lead goes to the managers' queue.
    """

    name = models.CharField(max_length=100, unique=True)
    priority = models.PositiveIntegerField(default=100)
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=100, blank=True)
    vertical = models.ForeignKey("alignment.Vertical", null=True, blank=True, on_delete=models.CASCADE)
    # Set: the rule takes only this campaign's leads (a delivered campaign request's rule).
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules"
    )
    reps = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="routing_rules")
    active = models.BooleanField(default=True)
    # Round-robin state, advanced under a row lock so concurrent handoffs never share a turn.
    turns = models.PositiveIntegerField(default=0)
    last_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self):
        return self.name


class HandoffOutcome(models.TextChoices):
    OPEN = "open", "Waiting for the rep"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"
    REASSIGNED = "reassigned", "Reassigned"


def sla_overdue(due_at, now) -> bool:
    """A handoff's SLA is overdue from its deadline on: due at 10:00, it is overdue at 10:00. The one
    definition, asked by the rep's inbox and the lead page (`Handoff.sla_overdue_at`) and, in SQL,
    by the going-cold sweep (`SLA_OVERDUE_SQL`)."""
    return due_at <= now


# `sla_overdue` in SQL, on a handoff's deadline column (`column`) and "now" as the parameter.
SLA_OVERDUE_SQL = "{column} <= %s"


class Handoff(models.Model):
    """Who passed which lead to whom, when, with the story, and how it ended.

    `to_rep` is empty when routing found nobody: the lead waits in the managers' queue.
    """

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="handoffs")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_made")
    to_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="handoffs_received"
    )
    note = models.TextField()
    created_at = models.DateTimeField()
    sla_due_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=HandoffOutcome.choices, default=HandoffOutcome.OPEN)
    ended_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.ForeignKey(ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    outcome_note = models.TextField(blank=True)
    routing_rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL)
    routing_turn = models.PositiveIntegerField(null=True, blank=True)
    routing_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="handoff_lead"),
            models.Index(fields=["to_rep", "outcome", "created_at"], name="handoff_rep_outcome"),
            # Speed to lead reads a period's handoffs from this index alone: who answered, how, when.
            models.Index(fields=["created_at"], include=["to_rep", "outcome", "ended_at"], name="handoff_created_at"),
            models.Index(fields=["ended_at"], name="handoff_ended_at", condition=Q(ended_at__isnull=False)),
            # The cold-lead sweep: open handoffs whose SLA ran out.
            models.Index(fields=["sla_due_at"], name="handoff_open_due", condition=Q(outcome="open")),
            # The rep's home: the handoffs waiting for one rep, soonest deadline first.
            models.Index(
                fields=["to_rep", "sla_due_at", "id"], name="handoff_rep_open_due", condition=Q(outcome="open")
            ),
            models.Index(fields=["sla_due_at"], name="handoff_sla_due_at"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["lead"], condition=Q(outcome="open"), name="handoff_one_open_per_lead"),
            models.UniqueConstraint(fields=["routing_rule", "routing_turn"], name="handoff_unique_turn"),
        ]

    def sla_overdue_at(self, now) -> bool:
        """Whether the rep's time to answer this handoff has run out at `now` (`sla_overdue`)."""
        return sla_overdue(self.sla_due_at, now)
