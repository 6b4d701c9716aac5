"""Handoffs of leads to reps and the routing rules that choose the rep."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from leads.models.lead import Lead
from leads.models.reference import ReasonCode


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
    # Several at once, as the API sets them (`/api/routing-rules/`): ISO country codes, vertical ids
    # and a campaign (a delivered campaign request's rule takes only its campaign's leads); empty
    # matches anything, like the single country and vertical above.
    countries = models.JSONField(default=list, blank=True)
    verticals = models.JSONField(default=list, blank=True, help_text="Vertical ids.")
    campaign = models.ForeignKey(
        "leads.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="routing_rules"
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

    # No index of their own for `lead`, `to_rep`, `reject_reason` and `routing_rule`: `handoff_lead`,
    # `handoff_rep_outcome`/`handoff_rep_lead`, `handoff_reject_reason` and `handoff_unique_turn`
    # lead with them. The offer sweep moves ten thousand handoffs at a time to their next rep, and
    # each index is one more entry written for every one of them.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="handoffs", db_index=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="handoffs_made")
    to_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handoffs_received",
        db_index=False,
    )
    note = models.TextField()
    created_at = models.DateTimeField()
    sla_due_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=HandoffOutcome.choices, default=HandoffOutcome.OPEN)
    ended_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.ForeignKey(
        ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    outcome_note = models.TextField(blank=True)
    routing_rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    routing_turn = models.PositiveIntegerField(null=True, blank=True)
    routing_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-created_at"], name="handoff_lead"),
            models.Index(fields=["to_rep", "outcome", "created_at"], name="handoff_rep_outcome"),
            # What a rep may see (`lead_visible_q`): the leads ever handed to them, from the index alone.
            models.Index(fields=["to_rep", "lead"], name="handoff_rep_lead"),
            # Speed to lead reads a period's handoffs from this index alone: who answered, how, when.
            models.Index(fields=["created_at"], include=["to_rep", "outcome", "ended_at"], name="handoff_created_at"),
            models.Index(fields=["ended_at"], name="handoff_ended_at", condition=Q(ended_at__isnull=False)),
            # The cold-lead sweep: open handoffs whose SLA ran out.
            models.Index(fields=["sla_due_at"], name="handoff_open_due", condition=Q(outcome="open")),
            # The rep's home: the handoffs waiting for one rep, soonest deadline first; with their
            # leads, so that the overdue ones are put in their leads' score order without reading
            # a handoff row (PostgreSQL; elsewhere `include` is left out).
            models.Index(
                fields=["to_rep", "sla_due_at", "id"],
                include=["lead"],
                name="handoff_rep_open_due",
                condition=Q(outcome="open"),
            ),
            models.Index(fields=["sla_due_at"], name="handoff_sla_due_at"),
            # Deleting a reason code checks no rejected handoff names it; most handoffs have none.
            models.Index(
                fields=["reject_reason"], name="handoff_reject_reason", condition=Q(reject_reason__isnull=False)
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["lead"], condition=Q(outcome="open"), name="handoff_one_open_per_lead"),
            models.UniqueConstraint(fields=["routing_rule", "routing_turn"], name="handoff_unique_turn"),
        ]

    def sla_overdue_at(self, now) -> bool:
        """Whether the rep's time to answer this handoff has run out at `now` (`sla_overdue`)."""
        return sla_overdue(self.sla_due_at, now)


class OfferOutcome(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    LAPSED = "lapsed", "Lapsed"
    # The handoff ended some other way while the offer was open (reassigned, recycled, merged).
    WITHDRAWN = "withdrawn", "Withdrawn"


class HandoffOffer(models.Model):
    """A handoff by rules, offered to one rep until `due_at`: unanswered by then it lapses and the
    lead is offered to the next rep of the rule (`leads.offers`). One open offer per handoff, and a
    rep is offered the same handoff once: the constraints stand behind "exactly once"."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="offers", db_index=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+", db_index=False)
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(help_text="1 for the first offer of the handoff, 2 for the next, …")
    routing_turn = models.PositiveIntegerField(null=True, blank=True)
    offered_at = models.DateTimeField()
    due_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=9, choices=OfferOutcome.choices, default=OfferOutcome.OPEN)

    class Meta:
        ordering = ["handoff", "position"]
        indexes = [
            # The sweep: open offers whose time ran out, oldest first.
            models.Index(fields=["due_at"], name="offer_open_due", condition=Q(outcome="open")),
            # Who may not be offered a lead again: the reps who turned it down or let it lapse.
            models.Index(fields=["lead", "rep"], name="offer_lead_rep"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["handoff"], condition=Q(outcome="open"), name="offer_one_open_per_handoff"),
            models.UniqueConstraint(fields=["handoff", "position"], name="offer_unique_position"),
            models.UniqueConstraint(fields=["handoff", "rep"], name="offer_once_per_rep"),
        ]
