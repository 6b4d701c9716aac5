"""The reference data leads are filed under: lead sources, campaigns and reason codes."""

import secrets

from django.conf import settings
from django.db import models


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
