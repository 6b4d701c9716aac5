"""The lead: its contact data, lifecycle status and waterfall dates, its other emails (aliases), its
captures (touches) and its timeline (events)."""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q

from leads.models.reference import Campaign, ReasonCode, Source


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    HANDED_OFF = "handed_off", "Handed off"
    ACCEPTED = "accepted", "Accepted"
    WORKING = "working", "Working"
    QUALIFIED = "qualified", "Qualified"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    REJECTED = "rejected", "Rejected"
    NURTURE = "nurture", "Nurture"


# The status groups, defined once. Open: some rep (or the managers' queue) holds the lead.
OPEN_STATUSES = (LeadStatus.HANDED_OFF, LeadStatus.ACCEPTED, LeadStatus.WORKING, LeadStatus.QUALIFIED)
# Accepted and still open: the rep is working it (activity, snooze, qualify belong here).
ACCEPTED_OPEN_STATUSES = (LeadStatus.ACCEPTED, LeadStatus.WORKING, LeadStatus.QUALIFIED)
# A verdict judges a lead the rep has taken on: from acceptance on, also once won or lost.
VERDICT_STATUSES = (*ACCEPTED_OPEN_STATUSES, LeadStatus.WON, LeadStatus.LOST)


class VerdictValue(models.TextChoices):
    GOOD = "good", "Good"
    BAD = "bad", "Bad"


# Every field of a lead that capture, import and a data fix may set.
LEAD_DATA_FIELDS = (
    "email",
    "name",
    "company",
    "title",
    "phone",
    "country",
    "region",
    "industry",
    "estimated_value",
    "notes",
    "pain_points",
)


class Lead(models.Model):
    # Contact. `email` is stored normalised (stripped, lower-case): it is who the lead is.
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=200, blank=True)
    company = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2, e.g. DE.")
    region = models.CharField(max_length=100, blank=True)
    industry = models.ForeignKey(
        "alignment.Vertical", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    estimated_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    # Indexes of their own would only repeat the first column of `lead_campaign` and
    # `lead_owner_status`, and cost every capture two more index writes.
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="leads", db_index=False)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB)
    notes = models.TextField(blank=True)
    pain_points = models.TextField(blank=True)

    status = models.CharField(max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
        db_index=False,
    )
    captured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="captured_leads"
    )
    touch_count = models.PositiveIntegerField(default=1)
    last_touch_at = models.DateTimeField()
    # Any activity, acceptance or transition: the going-cold clock counts from here.
    last_activity_at = models.DateTimeField()

    # The waterfall: each set once, the first time, and never rewritten.
    captured_at = models.DateTimeField()
    handed_off_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    qualified_at = models.DateTimeField(null=True, blank=True)
    won_at = models.DateTimeField(null=True, blank=True)
    lost_at = models.DateTimeField(null=True, blank=True)
    won_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    lost_reason = models.ForeignKey(
        ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The rep's current verdict, as a plain value: the dashboard's roll-up counts it under the lead's
    # owner. The verdicts themselves, with their history, are feedback's (`feedback.Verdict`).
    verdict = models.CharField(max_length=4, choices=VerdictValue.choices, blank=True)
    verdict_at = models.DateTimeField(null=True, blank=True)
    # The pain themes that verdict names (`feedback.PainTheme` ids, ascending, comma-separated), as
    # plain values too: voice of sales' roll-up (`ThemeDay`) counts them under the lead's segment.
    # (None is the database's default too, for the bulk loads that name their columns.)
    verdict_themes = models.CharField(max_length=200, blank=True, default="", db_default="")
    # The reasons its feedback items hold against it (bad verdicts, rejections and losses that name
    # one: `feedback.ReasonCode` ids, ascending, comma-separated, one per item), as plain values too:
    # a segment's evidence and the plan's briefs count them from `lead_segment` alone. Feedback's
    # services keep them in step with the items (`feedback.rollup.lead_bad_reasons_refresh`).
    bad_reasons = models.TextField(blank=True, default="", db_default="")
    # The time from the handoff to the first verdict, as it was when that verdict was given: set
    # once, so the scorecard's median reads it from an index instead of every verdict.
    verdict_wait = models.DurationField(null=True, blank=True)

    # Recycling back to marketing's nurture list.
    recycle_count = models.PositiveIntegerField(default=0)
    recycle_reason = models.TextField(blank=True)
    reengage_after = models.DateField(null=True, blank=True)

    # A rep may pause going cold until a date, with a reason the marketer can read.
    snoozed_until = models.DateTimeField(null=True, blank=True)
    snooze_reason = models.TextField(blank=True)

    # A lead found to be the same person as another is merged into it: it stays as a record (its
    # page says so), hidden from lists, inboxes and figures, and no longer changes.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_leads", db_index=False
    )
    merged_at = models.DateTimeField(null=True, blank=True)

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-captured_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-id"], name="lead_status"),
            models.Index(fields=["owner", "status", "-id"], name="lead_owner_status"),
            models.Index(fields=["campaign", "-id"], name="lead_campaign"),
            # The default order, and the scorecard's cohort of a period (its campaign, handoff and id)
            # from the index alone.
            models.Index(fields=["captured_at", "id"], include=["campaign", "handed_off_at"], name="lead_captured_at"),
            models.Index(fields=["status", "last_activity_at"], name="lead_status_activity"),
            # A segment's leads of a period (a campaign request's evidence, the plan's briefs), counted
            # by verdict, its themes, lost reason and the bad reasons against it, from the index alone.
            models.Index(
                fields=["industry", "country", "captured_at"],
                include=["id", "region", "verdict", "verdict_themes", "lost_reason", "bad_reasons"],
                name="lead_segment",
                condition=Q(merged_into__isnull=True),
            ),
            # Deleting a reason code checks no lost lead names it; a new lead has none.
            models.Index(fields=["lost_reason"], name="lead_lost_reason", condition=Q(lost_reason__isnull=False)),
            # The few merged leads only: an index over every lead's null would tempt the planner
            # to serve `merged_into IS NULL` (every list) from it instead of the filters' indexes.
            models.Index(fields=["merged_into"], name="lead_merged_into", condition=Q(merged_into__isnull=False)),
            # The dashboard sums the open pipeline from this index alone (a merged lead is no lead).
            models.Index(
                fields=["status"],
                include=["estimated_value", "snoozed_until"],
                name="lead_open_pipeline",
                condition=Q(status__in=OPEN_STATUSES, merged_into__isnull=True),
            ),
            # The scorecard's median time to verdict: each campaign's waits in order, the period's
            # capture days filtered in the index. Written only when a first verdict is given.
            models.Index(
                fields=["campaign", "verdict_wait"],
                include=["captured_at"],
                name="lead_verdict_wait",
                condition=Q(verdict_wait__isnull=False, merged_into__isnull=True),
            ),
            # The dashboard counts and sums leads by the waterfall dates in a period.
            models.Index(fields=["won_at"], name="lead_won_at", condition=Q(won_at__isnull=False)),
            models.Index(fields=["handed_off_at"], name="lead_handed_off_at", condition=Q(handed_off_at__isnull=False)),
            models.Index(fields=["accepted_at"], name="lead_accepted_at", condition=Q(accepted_at__isnull=False)),
            models.Index(fields=["qualified_at"], name="lead_qualified_at", condition=Q(qualified_at__isnull=False)),
            # The rep's home reads the leads a rep works from these, each from the index alone: their
            # ids and last activity (then each one's score by its key, `LeadScore`), and the oldest
            # accepted first.
            models.Index(
                fields=["owner", "last_activity_at", "id"],
                name="lead_rep_activity",
                condition=Q(status__in=ACCEPTED_OPEN_STATUSES, merged_into__isnull=True),
            ),
            models.Index(
                fields=["owner", "accepted_at", "id"],
                name="lead_rep_accepted",
                condition=Q(status__in=ACCEPTED_OPEN_STATUSES, merged_into__isnull=True),
            ),
            # The marketer's home: the leads one marketer captured that sales sent back, their
            # newest first and their count from the index alone (no visit to a heap row per lead).
            models.Index(
                fields=["captured_by", "status", "-id"],
                name="lead_captured_by_status",
                condition=Q(merged_into__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(email=models.functions.Lower("email")), name="lead_email_lowercase"),
            models.CheckConstraint(
                condition=Q(won_amount__isnull=True) | Q(won_amount__gte=0), name="lead_won_amount_ge_0"
            ),
        ]

    def __str__(self):
        return self.name or self.email

    @property
    def score(self) -> float | None:
        """The chance a rep judges this lead good (`LeadScore`; None while no model scores it).
        Lists that show it load it with `select_related("scored")`."""
        try:
            return self.scored.score
        except ObjectDoesNotExist:
            return None

    @property
    def email_domain(self):
        return self.email.rsplit("@", 1)[-1]

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def open_cold_episode(self):
        """The cold episode running now, if any (one query)."""
        return self.cold_episodes.filter(closed_at__isnull=True).first()


class LeadAlias(models.Model):
    """Another email of a lead: the email of a lead merged into it. Capturing that email again
    records a touch on this lead (`leads.capture`)."""

    email = models.EmailField(max_length=254, unique=True, help_text="Normalised, as a lead's email.")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="aliases")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "lead aliases"
        constraints = [
            models.CheckConstraint(
                condition=Q(email=models.functions.Lower("email")), name="lead_alias_email_lowercase"
            ),
        ]

    def __str__(self):
        return self.email


class CaptureChannel(models.TextChoices):
    FORM = "form", "Browser form"
    IMPORT = "import", "CSV import"
    API = "api", "API"
    WEB_FORM = "web_form", "Public web form"


class Touch(models.Model):
    """One capture of a person: the first creates the lead, every later one is recorded here too."""

    # `touch_lead` serves the lead's own lookups: no second index to write on every capture.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="touches", db_index=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="touches")
    channel = models.CharField(max_length=10, choices=CaptureChannel.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["lead", "-at"], name="touch_lead")]
        verbose_name_plural = "touches"


class EventKind(models.TextChoices):
    CAPTURED = "captured", "Captured"
    TOUCH = "touch", "Touch"
    TRANSITION = "transition", "Status change"
    HANDOFF = "handoff", "Handoff"
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"
    VERDICT = "verdict", "Verdict"
    FEEDBACK = "feedback", "Feedback"
    SNOOZE = "snooze", "Snooze"
    EDIT = "edit", "Data changed"
    MERGE = "merge", "Merged"
    OFFER = "offer", "Offer"


ACTIVITY_KINDS = (EventKind.CALL, EventKind.EMAIL, EventKind.MEETING, EventKind.NOTE)


class LeadEvent(models.Model):
    """The lead's timeline: every transition and activity, with who and when."""

    # `event_lead_at` serves the lead's own lookups: no second index to write on every event.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    from_status = models.CharField(max_length=12, choices=LeadStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=LeadStatus.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["lead", "at"], name="event_lead_at"),
            models.Index(fields=["kind", "at"], name="event_kind_at"),
        ]
