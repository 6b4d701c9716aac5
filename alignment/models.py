"""What both departments share: people and their roles, the thresholds, notifications."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    MARKETER = "marketer", "Marketer"
    REP = "rep", "Sales rep"
    MANAGER = "manager", "Manager"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Territory(models.Model):
    """A country (ISO 3166 alpha-2) and optionally a region within it; routing matches leads on it."""

    country = models.CharField(max_length=2)
    region = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["country", "region"]
        constraints = [
            models.UniqueConstraint(fields=["country", "region"], name="territory_unique"),
        ]
        verbose_name_plural = "territories"

    def __str__(self):
        return f"{self.country}/{self.region}" if self.region else self.country


class Vertical(models.Model):
    """An industry. A lead's industry is a vertical; reps may specialise in some."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MARKETER, db_index=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    # For reps: where and what they sell, and whether routing may give them new leads now.
    territories = models.ManyToManyField(Territory, blank=True, related_name="reps")
    verticals = models.ManyToManyField(Vertical, blank=True, related_name="reps")
    available = models.BooleanField(default=True, help_text="Off while out of office: routing skips this rep.")
    monthly_capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most routed leads a month; empty means no limit."
    )
    # Each person's own choice (the preferences page); in-app notifications are always on.
    email_notifications = models.BooleanField(default=True, help_text="Email me my notifications.")
    chat_notifications = models.BooleanField(default=True, help_text="Post my notifications to chat.")

    @property
    def is_manager(self):
        return self.role == Role.MANAGER

    @property
    def display_name(self):
        return self.get_full_name() or self.username


# Thresholds keep six decimal places (a few milliseconds of an hour), so a short threshold is kept as
# set and never rounds down to zero, which would make every lead cold right after any activity.
THRESHOLD_PLACES = 6
THRESHOLD_MAX = Decimal("99999.99")


def _threshold_field():
    return models.DecimalField(
        max_digits=THRESHOLD_PLACES + 6,
        decimal_places=THRESHOLD_PLACES,
        validators=[MinValueValidator(Decimal(1).scaleb(-THRESHOLD_PLACES)), MaxValueValidator(THRESHOLD_MAX)],
    )


class SlaSettings(models.Model):
    """The thresholds both departments work to; one row, its defaults from the environment."""

    sla_accept_hours = _threshold_field()
    cold_after_days = _threshold_field()
    escalate_after_hours = _threshold_field()
    feedback_response_days = _threshold_field()
    business_hours = models.CharField(
        max_length=100,
        blank=True,
        help_text='e.g. "Mon-Fri 09:00-17:00 Europe/Berlin"; empty counts every hour.',
    )
    holidays = models.TextField(blank=True, help_text="Dates (YYYY-MM-DD), one a line, not counted.")
    # A lead handed off by rules is offered to one rep for this many minutes (business minutes when
    # business hours are set) before it moves on to the next; 0 turns offers off, empty follows
    # ALIGNMENT_OFFER_MINUTES.
    offer_minutes = models.DecimalField(
        max_digits=THRESHOLD_PLACES + 6,
        decimal_places=THRESHOLD_PLACES,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(THRESHOLD_MAX)],
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name_plural = "SLA settings"

    def __str__(self):
        return "SLA settings"


class NotificationKind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    ESCALATION = "escalation", "Escalation"
    FEEDBACK = "feedback", "Feedback"
    DIGEST = "digest", "Digest"
    WEBHOOK = "webhook", "Webhook"
    REQUEST = "request", "Campaign request"


class Notification(models.Model):
    """An in-app notice to one person; `email_sent_at` guards its email so it goes out once."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Who did what it tells of ("Ana replied …"); null when nobody did (a reminder, an escalation).
    # No index: nothing looks notifications up by their actor, and the cold sweep inserts thousands.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    message = models.TextField()
    url = models.CharField(max_length=300, blank=True)
    read = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["created_at"], name="notification_unsent", condition=models.Q(email_sent_at__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.recipient}: {self.message[:40]}"


class IdempotencyRecord(models.Model):
    """The first response to an API write sent with an Idempotency-Key, replayed on a retry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")]


# --- outbound webhooks --------------------------------------------------------------------------


class WebhookKind(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"


CHAT_KINDS = (WebhookKind.SLACK, WebhookKind.TEAMS)


class WebhookEndpoint(models.Model):
    """A URL a manager subscribed to some events; the relay POSTs each one there, signed with `secret`.

    A chat webhook (Slack or Teams) belongs to a team or to one person instead, and gets their
    notifications as chat messages rather than events."""

    url = models.URLField(max_length=500)
    kind = models.CharField(max_length=10, choices=WebhookKind.choices, default=WebhookKind.WEBHOOK)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="chat_webhooks")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="chat_webhooks"
    )
    events = models.JSONField(default=list, help_text='Event types, or ["*"] for all.')
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    # Failed attempts in a row, across its deliveries; at the limit the endpoint is switched off.
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # An event webhook belongs to nobody; a chat webhook to exactly one team or one person.
            models.CheckConstraint(
                condition=(
                    models.Q(kind="webhook", team__isnull=True, user__isnull=True)
                    | models.Q(~models.Q(kind="webhook"), team__isnull=False, user__isnull=True)
                    | models.Q(~models.Q(kind="webhook"), team__isnull=True, user__isnull=False)
                ),
                name="webhook_chat_owner",
            ),
            models.UniqueConstraint(fields=["team"], name="chat_webhook_one_per_team"),
            models.UniqueConstraint(fields=["user"], name="chat_webhook_one_per_user"),
        ]

    def __str__(self):
        return self.url

    @property
    def is_chat(self) -> bool:
        return self.kind in CHAT_KINDS


class WebhookEvent(models.Model):
    """One thing that happened, written in the transaction of the change it reports (the outbox).
    Its id is the `X-Alignment-Delivery` header: the same on every retry, for receivers to dedupe."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="webhook_event_created")]

    def __str__(self):
        return f"{self.type} {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """An event on its way to one endpoint: the relay's work item and its outcome."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once_per_endpoint"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_by_endpoint"),
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event_id} → {self.endpoint_id} ({self.status})"


class AuditArea(models.TextChoices):
    ROLE = "role", "People and roles"
    SLA = "sla", "SLA settings"
    ROUTING = "routing", "Routing rules"
    GOAL = "goal", "Revenue goals"
    WEBHOOK = "webhook", "Webhooks"
    REASON_CODE = "reason_code", "Reason codes"
    PAIN_THEME = "pain_theme", "Pain themes"
    SCORING = "scoring", "Lead score model"


class AuditEntry(models.Model):
    """Who changed a setting that shapes everyone's work, when, and from what to what."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    area = models.CharField(max_length=12, choices=AuditArea.choices)
    action = models.CharField(max_length=10)  # created, changed, deleted
    target = models.CharField(max_length=200)
    target_id = models.CharField(max_length=40, blank=True)
    # {field: [before, after]} as shown to people (strings, numbers, lists).
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["area", "-id"], name="audit_area")]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.get_area_display()}: {self.action} {self.target}"


class LiveEvent(models.Model):
    """One event for one person's live stream (`GET /api/events/`): its id is the stream's event id,
    so a stream that reconnects with `Last-Event-ID` resumes from this table. Pruned after a day."""

    id = models.BigAutoField(primary_key=True)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=20)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "id"], name="live_event_recipient"),
            models.Index(fields=["created_at"], name="live_event_created_at"),
        ]
