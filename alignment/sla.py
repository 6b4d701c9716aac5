"""The thresholds in force and the clock they are counted on."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings

from alignment.models import SlaSettings


def sla_settings_get() -> SlaSettings:
    """The one settings row; created from the environment's defaults the first time it is read."""
    policy = SlaSettings.objects.order_by("id").first()
    if policy is None:
        policy, _ = SlaSettings.objects.get_or_create(
            id=1,
            defaults={
                "sla_accept_hours": Decimal(str(settings.ALIGNMENT_SLA_ACCEPT_HOURS)),
                "cold_after_days": Decimal(str(settings.ALIGNMENT_COLD_AFTER_DAYS)),
                "escalate_after_hours": Decimal(str(settings.ALIGNMENT_ESCALATE_AFTER_HOURS)),
                "feedback_response_days": Decimal(str(settings.ALIGNMENT_FEEDBACK_RESPONSE_DAYS)),
                "business_hours": settings.ALIGNMENT_BUSINESS_HOURS,
            },
        )
    return policy


def sla_deadline(*, start, hours, policy: SlaSettings):
    """The moment `hours` of SLA time have passed since `start`."""
    return start + timedelta(hours=float(hours))
