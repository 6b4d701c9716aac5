"""Sales shaping marketing: campaign requests from reps, with the evidence of their segment."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from alignment.days import date_text


class RequestStatus(models.TextChoices):
    NEW = "new", "New"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    IN_PROGRESS = "in_progress", "In progress"
    DELIVERED = "delivered", "Delivered"


# Requests marketing still owes an answer or a campaign.
OPEN_REQUEST_STATUSES = (RequestStatus.NEW, RequestStatus.ACCEPTED, RequestStatus.IN_PROGRESS)


class CampaignRequest(models.Model):
    """A rep (or a manager) asks marketing for a campaign for one segment: a vertical and a
    territory (a country, and a region when given), the pain themes it should speak to, how many
    leads it should bring and by when.

    `evidence` is the segment's record over the last twelve months as it stood at `evidence_at`
    (kept current until delivery); `outcome` is what the delivered campaign brought, as of
    `outcome_at`. Both are figures computed by `planning.evidence`, stored so that lists read them
    without a query per request.
    """

    title = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=RequestStatus.choices, default=RequestStatus.NEW)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaign_requests")
    vertical = models.ForeignKey("alignment.Vertical", on_delete=models.PROTECT, related_name="+")
    country = models.CharField(max_length=2)
    region = models.CharField(max_length=100, blank=True)
    pain_themes = models.ManyToManyField("feedback.PainTheme", blank=True, related_name="+")
    goal_leads = models.PositiveIntegerField()
    needed_by = models.DateField()
    note = models.TextField(blank=True)
    decline_reason = models.TextField(blank=True)
    campaign = models.ForeignKey(
        "leads.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="campaign_requests"
    )
    # The rule that hands the delivered campaign's leads in the segment to the requester.
    routing_rule = models.ForeignKey(
        "leads.RoutingRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence = models.JSONField(default=dict)
    evidence_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(null=True, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at", "id"], name="request_status_created"),
            models.Index(fields=["requester", "created_at", "id"], name="request_requester_created"),
            models.Index(fields=["vertical", "country", "region"], name="request_segment"),
            models.Index(fields=["created_at", "id"], name="request_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(campaign__isnull=False, delivered_at__isnull=False),
                name="request_delivered_has_campaign",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="request_declined_has_reason"
            ),
            models.CheckConstraint(condition=Q(goal_leads__gte=1), name="request_goal_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def territory(self) -> str:
        return f"{self.country}/{self.region}" if self.region else self.country

    @property
    def segment(self) -> str:
        return f"{self.vertical.name} · {self.territory}"


class CampaignSegment(models.Model):
    """The segment a campaign made in the product was made for: its vertical and territory, the
    rep its leads there go to (a mini-campaign launched from the plan) and the request it delivers.
    The plan reads these to say whether a live campaign already serves a segment."""

    campaign = models.OneToOneField("leads.Campaign", on_delete=models.CASCADE, related_name="segment")
    vertical = models.ForeignKey(
        "alignment.Vertical", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=100, blank=True)
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request = models.ForeignKey(CampaignRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["vertical", "country", "region"], name="campaign_segment_key")]

    def __str__(self):
        return f"{self.campaign_id}: {self.vertical_id} {self.country}/{self.region}"


class Meeting(models.Model):
    """The weekly joint meeting of sales and marketing: one per week, named by its Monday."""

    week = models.DateField(unique=True, help_text="The Monday of the meeting's week.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-week"]

    def __str__(self):
        return f"Week of {date_text(self.week)}"


class MeetingItemKind(models.TextChoices):
    AGENDA = "agenda", "Agenda item"
    NOTE = "note", "Note"
    DECISION = "decision", "Decision"


class MeetingItem(models.Model):
    """Something anyone adds to a meeting: a point for the agenda beforehand, a note or a decision."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=MeetingItemKind.choices)
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["meeting", "created_at"], name="meeting_item_meeting")]


class ActionItem(models.Model):
    """Someone's task from a meeting, with a due date; it carries over to every next meeting until done."""

    title = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items")
    due = models.DateField()
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    campaign = models.ForeignKey("leads.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    request = models.ForeignKey(CampaignRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due", "id"]
        indexes = [
            models.Index(fields=["owner", "done", "due"], name="action_item_owner_open"),
            models.Index(fields=["done", "due"], name="action_item_open_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(done=False) | Q(done_at__isnull=False), name="action_item_done_has_time")
        ]

    def __str__(self):
        return self.title


class ActionItemReminder(models.Model):
    """The one reminder an overdue action item gets: the unique item is what makes it once,
    however many sweeps run at the same time."""

    action_item = models.OneToOneField(ActionItem, on_delete=models.CASCADE, related_name="reminder")
    at = models.DateTimeField()
