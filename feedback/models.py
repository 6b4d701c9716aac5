"""The closed loop's models: a rep's verdicts on a lead (with their history), the feedback items that
carry every outcome back to the marketer who sent the lead (`FeedbackItem`: its kind, status and
resolution), the replies of their conversation, and the scorecard's daily roll-up of bad reasons
(`ReasonDay`, kept by `feedback.rollup`). The lead carries only its current verdict, as a plain
value (`leads.models.Lead.verdict`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from leads.models import Campaign, ReasonCode, VerdictValue


class PainTheme(models.Model):
    """A named pain a customer has (price, integration, ...): reps tag verdicts with themes beside
    the free text, so marketing can count what each segment struggles with. Retired themes stay on
    the verdicts that carry them but are no longer offered."""

    code = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self):
        return self.label


class Verdict(models.Model):
    """A rep's judgement of a lead. Revising it adds a new row; the old one stops being current."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="verdicts")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="verdicts")
    verdict = models.CharField(max_length=4, choices=VerdictValue.choices)
    reason = models.ForeignKey(ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="verdicts")
    note = models.TextField(blank=True)
    # What the customer struggles with, in the rep's words: marketing's "voice of sales".
    pain_points = models.TextField(blank=True)
    pain_themes = models.ManyToManyField(PainTheme, blank=True, related_name="verdicts")
    current = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["lead"], condition=Q(current=True), name="verdict_one_current_per_lead"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="verdict_created_at"),
            models.Index(fields=["lead", "created_at"], name="verdict_lead_created"),
        ]


class FeedbackKind(models.TextChoices):
    BAD_VERDICT = "bad_verdict", "Judged bad"
    GOOD_VERDICT = "good_verdict", "Judged good"
    REJECTED = "rejected", "Rejected at handoff"
    LOST = "lost", "Lost"
    WON = "won", "Won"
    REQUEST = "request", "Feedback requested"


# The items that carry a reason against the lead: the scorecard's top bad reasons count these.
BAD_REASON_KINDS = (FeedbackKind.BAD_VERDICT, FeedbackKind.REJECTED, FeedbackKind.LOST)


class FeedbackStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    # Good news that needs no answer.
    INFO = "info", "For your information"


class Resolution(models.TextChoices):
    FIXED_DATA = "fixed_data", "Data fixed"
    RECYCLED = "recycled", "Recycled to nurture"
    CAMPAIGN_CHANGED = "campaign_changed", "Campaign changed"
    DISPUTED = "disputed", "Disputed"
    ANSWERED = "answered", "Answered"


class FeedbackItem(models.Model):
    """One conversation between sales and marketing about one lead, waiting on `assignee`.

    `marketer` and `rep` are the two sides of the conversation, fixed when the item opens: the
    marketer who captured the lead (the campaign owner when nobody in marketing did) and the rep
    who judged, rejected, lost or won it (or was asked to). Who sees the item follows from them.
    """

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="feedback_items")
    kind = models.CharField(max_length=14, choices=FeedbackKind.choices)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback_items")
    marketer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verdict = models.ForeignKey(Verdict, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.ForeignKey(ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=FeedbackStatus.choices, default=FeedbackStatus.OPEN)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    last_reply_at = models.DateTimeField(null=True, blank=True)
    # Set when the sweep reminded the assignee that the item waited too long: once per item.
    overdue_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "created_at"], name="feedback_assignee_status"),
            models.Index(fields=["status", "created_at"], name="feedback_status_created"),
            models.Index(fields=["lead", "created_at"], name="feedback_lead"),
            models.Index(fields=["marketer", "status", "created_at"], name="feedback_marketer_status"),
            models.Index(fields=["rep", "status", "created_at"], name="feedback_rep_status"),
            # The scorecard counts a period's bad reasons from this index alone.
            models.Index(
                fields=["lead"],
                include=["reason"],
                name="feedback_bad_reasons",
                condition=Q(kind__in=BAD_REASON_KINDS, reason__isnull=False),
            ),
        ]
        constraints = [
            # Asking twice while the first question is unanswered only nags: one open request a lead.
            models.UniqueConstraint(
                fields=["lead"], condition=Q(kind="request", status="open"), name="feedback_one_open_request"
            ),
            models.CheckConstraint(
                condition=Q(status="resolved", resolved_at__isnull=False) | ~Q(status="resolved"),
                name="feedback_resolved_has_time",
            ),
            # Scoping reads `marketer` and `rep` only: whoever the item waits on must be one of them.
            models.CheckConstraint(
                condition=Q(assignee=models.F("marketer")) | Q(assignee=models.F("rep")),
                name="feedback_assignee_is_a_side",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.lead}"

    @property
    def is_open(self):
        return self.status == FeedbackStatus.OPEN


class FeedbackReply(models.Model):
    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "feedback replies"


class ReasonDay(models.Model):
    """The scorecard's bad reasons of one day's cohort: how many bad verdicts, rejections and losses
    with this reason the leads of this campaign captured that day (in the company's time zone, as
    `LeadDay` counts its cohorts) have received. The feedback services keep these rows in step in
    the same transaction as the items (feedback/rollup.py); `manage.py rebuild_dashboard`
    recomputes them from the items."""

    day = models.DateField()
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    reason = models.ForeignKey(ReasonCode, on_delete=models.CASCADE, related_name="+")
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "campaign", "reason"], name="reason_day_key"),
        ]

    def __str__(self):
        return f"{self.day} campaign {self.campaign_id} reason {self.reason_id}: {self.count}"
