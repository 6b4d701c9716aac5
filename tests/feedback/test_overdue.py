from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine

from alignment.models import Notification, NotificationKind
from alignment.sla import sla_settings_get
from feedback.models import FeedbackItem
from feedback.selectors import feedback_item_is_overdue, feedback_overdue_cutoff
from feedback.services import feedback_overdue_remind
from tests.feedback.factories import handed_off_lead

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def remind(moment):
    with time_machine.travel(moment, tick=False):
        return feedback_overdue_remind()


def notices(**filters):
    return list(Notification.objects.filter(**filters).order_by("id"))


def test_overdue_feedback_reminds_the_marketer_once(marketer, rep):
    lead = handed_off_lead(marketer=marketer, rep=rep)
    item = FeedbackItem.objects.create(
        lead=lead, kind="bad_verdict", assignee=marketer, opened_by=rep, note="Wrong phone number.", created_at=T0
    )

    assert remind(T0 + timedelta(days=3) - timedelta(minutes=1)) == 0
    assert remind(T0 + timedelta(days=3)) == 1
    assert remind(T0 + timedelta(days=4)) == 0

    (notice,) = notices(recipient=marketer, kind=NotificationKind.FEEDBACK)
    assert "has waited 3 days" in notice.message and rep.display_name in notice.message
    assert notice.url == f"/feedback/{item.id}/"
    item.refresh_from_db()
    assert item.overdue_reminded_at == T0 + timedelta(days=3)


def test_resolved_feedback_is_never_reminded(marketer, rep):
    lead = handed_off_lead(marketer=marketer, rep=rep)
    FeedbackItem.objects.create(
        lead=lead, kind="bad_verdict", assignee=marketer, status="resolved", resolved_at=T0, created_at=T0
    )

    assert remind(T0 + timedelta(days=5)) == 0


def test_the_badge_and_the_reminder_agree_in_business_hours(marketer, rep):
    # given business hours and a response threshold of six business hours
    policy = sla_settings_get()
    policy.business_hours = "Mon-Fri 09:00-17:00 UTC"
    policy.feedback_response_days = Decimal("0.25")
    policy.save()
    lead = handed_off_lead(marketer=marketer, rep=rep)
    opened = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 15:00
    item = FeedbackItem.objects.create(
        lead=lead, kind="bad_verdict", assignee=marketer, marketer=marketer, created_at=opened
    )

    # when the evening comes (seven wall-clock hours, two business hours), then neither the badge
    # nor the reminder calls it overdue
    evening = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
    assert not feedback_item_is_overdue(item, cutoff=feedback_overdue_cutoff(now=evening))
    assert remind(evening) == 0
    # and at Tuesday 13:00 (two business hours on Monday, four on Tuesday) both do
    tuesday = datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
    assert feedback_item_is_overdue(item, cutoff=feedback_overdue_cutoff(now=tuesday))
    assert remind(tuesday) == 1
