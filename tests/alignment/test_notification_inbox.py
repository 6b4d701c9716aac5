"""The notifications page reads like an inbox and promises email only to people who get it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment.models import Notification, NotificationKind
from tests.alignment.factories import MarketerFactory, RepFactory
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _notify(user, lead, days_ago, message):
    notification = Notification.objects.create(
        recipient=user, kind=NotificationKind.REMINDER, lead=lead, message=message
    )
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(days=days_ago))


def test_notifications_are_grouped_by_day_with_the_lead_and_who_holds_it(client):
    marketer = MarketerFactory()
    rep = RepFactory(first_name="Rita", last_name="Ortega")
    lead = LeadFactory(name="Ada Lovelace", company="Engines", owner=rep, captured_by=marketer)
    _notify(marketer, lead, 3, "Older news.")
    _notify(marketer, lead, 0, "Ada Lovelace is going cold.")
    _notify(marketer, lead, 0, "Ada Lovelace was escalated.")
    client.force_login(marketer)

    html = client.get(reverse("alignment:notifications")).content.decode()

    days = html.split('data-testid="notification-day">')[1:]
    assert len(days) == 2
    assert days[0].startswith("Today")
    assert days[0].count('data-testid="notification"') == 2 and days[1].count('data-testid="notification"') == 1
    assert 'data-testid="notification-lead">Ada Lovelace</strong>' in html
    assert "held by Rita Ortega" in html


@pytest.mark.parametrize(
    ("email", "wants", "says_email"),
    [("mia@example.com", True, True), ("mia@example.com", False, False), ("", True, False)],
)
def test_the_page_says_each_comes_by_email_only_to_who_gets_email(client, email, wants, says_email):
    person = MarketerFactory(email=email, email_notifications=wants)
    client.force_login(person)

    html = client.get(reverse("alignment:notifications")).content.decode()

    assert ("Each also comes by email" in html) is says_email
