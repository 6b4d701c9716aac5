import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q


class Source(models.TextChoices):
    WEB = "web", "Website"
    PAID_SEARCH = "paid_search", "Paid search"
    SOCIAL = "social", "Social"
    EMAIL = "email", "Email"
    EVENT = "event", "Event"
    WEBINAR = "webinar", "Webinar"
    REFERRAL = "referral", "Referral"
    PARTNER = "partner", "Partner"
    OUTBOUND = "outbound", "Outbound"
    OTHER = "other", "Other"


def new_form_key():
    return secrets.token_urlsafe(16)


class Campaign(models.Model):
    name = models.CharField(max_length=200, unique=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.WEB)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns", help_text="The marketer."
    )
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    form_key = models.CharField(max_length=40, unique=True, default=new_form_key, editable=False)
    allowed_origins = models.TextField(
        blank=True,
        help_text="Browser origins allowed to post this campaign's public form, one a line; "
        "empty means the site-wide setting.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


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


class ReasonCode(models.Model):
    """Why a lead was rejected, judged bad or lost. Managers add, rename and retire codes; a retired
    code stays on the records that used it."""

    code = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["position", "label"]
        # The table predates the model's move from the feedback app; its name stays.
        db_table = "feedback_reasoncode"

    def __str__(self):
        return self.label


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
            # A segment's leads of a period (a campaign request's evidence, the plan's briefs).
            models.Index(
                fields=["industry", "country", "captured_at"],
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
            # The rep's home reads the first page of the leads a rep works, in its two orders, from
            # these: a rep holding tens of thousands of leads still gets a page of 25 or 50 rows read.
            models.Index(
                fields=["owner", "last_activity_at", "id"],
                name="lead_rep_working",
                condition=Q(status__in=ACCEPTED_OPEN_STATUSES, merged_into__isnull=True),
            ),
            models.Index(
                fields=["owner", "accepted_at", "id"],
                name="lead_rep_accepted",
                condition=Q(status__in=ACCEPTED_OPEN_STATUSES, merged_into__isnull=True),
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


class LeadDay(models.Model):
    """The dashboard's figures of one day (in the company's time zone) for one campaign, source,
    marketer and rep: the dashboard sums these rows instead of reading every lead.

    Activity columns count what happened that day (leads captured, handed off, …, won and their
    revenue); `cohort_*` columns count how far the leads captured that day have got since (and
    `cohort_good`/`cohort_bad` what their current verdict is); `good` and `bad` count the verdicts
    given that day that still stand. Every lead counts under its
    current campaign, source, marketer (`captured_by`) and rep (`owner`); 0 stands for nobody.
    The lead and verdict services keep these rows in step in the same transaction as the change
    (leads/rollup.py); `manage.py rebuild_dashboard` recomputes them from the leads.
    """

    day = models.DateField()
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=20, choices=Source.choices)
    marketer = models.PositiveIntegerField(help_text="The capturing marketer's id; 0 for nobody.")
    rep = models.PositiveIntegerField(help_text="The owning rep's id; 0 for nobody.")

    captured = models.IntegerField(default=0)
    handed_off = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    qualified = models.IntegerField(default=0)
    won = models.IntegerField(default=0)
    won_revenue = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    cohort_handed_off = models.IntegerField(default=0)
    cohort_accepted = models.IntegerField(default=0)
    cohort_qualified = models.IntegerField(default=0)
    cohort_won = models.IntegerField(default=0)
    cohort_won_revenue = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    good = models.IntegerField(default=0)
    bad = models.IntegerField(default=0)
    cohort_good = models.IntegerField(default=0)
    cohort_bad = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "campaign", "source", "marketer", "rep"], name="lead_day_key"),
        ]

    def __str__(self):
        return f"{self.day} {self.campaign_id}/{self.source}/{self.marketer}/{self.rep}"


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


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """A CSV import. The file is kept in the database in chunks so any worker on any machine can
    stream it; progress is bytes read of the total."""

    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imports")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="imports")
    filename = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    total_bytes = models.PositiveBigIntegerField(default=0)
    processed_bytes = models.PositiveBigIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    rows_failed = models.PositiveIntegerField(default=0)
    # [{"line": 7, "reason": "email: Enter a valid email address."}, ...], the first few hundred.
    errors = models.JSONField(default=list, blank=True)
    # The file's header row, and the raw cells of the rows in `errors`: [{"line": 7, "values": [...]}],
    # so the bad rows can be shown and downloaded to be fixed and imported again.
    header = models.JSONField(default=list, blank=True)
    failed_rows = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def percent(self):
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_bytes:
            return 0
        return min(99, int(self.processed_bytes * 100 / self.total_bytes))


class ImportChunk(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["job", "seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="import_chunk_unique")]


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
