"""Where recency matters (the inbox, the feedback queue, a lead's timeline, the lead list's Captured
column) a moment reads "12 minutes ago", with its full date and time on hover, as notifications do."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from feedback.models import FeedbackItem
from feedback.services import lead_reject_with_feedback
from leads.models import EventKind, Handoff, LeadEvent
from leads.services import lead_hand_off
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db


def ago_html(moment, text):
    local = timezone.localtime(moment)
    return (
        f'<time datetime="{local.isoformat()}" title="{formats.date_format(local, "DATETIME_FORMAT")}">'
        f"{text.replace(' ', chr(0xA0))} ago</time>"
    )


def test_the_inbox_says_how_long_ago_each_lead_was_handed_off(client, marketer, rep):
    lead = LeadFactory()
    lead_hand_off(lead=lead, rep=rep, note="Asked for a demo.", by=marketer)
    handed = timezone.now() - timedelta(minutes=12)
    Handoff.objects.filter(lead=lead).update(created_at=handed)
    client.force_login(rep)

    html = client.get(reverse("dashboard:home")).content.decode()

    assert f"handed off by {marketer.display_name} {ago_html(handed, '12 minutes')}" in html


def test_the_lead_list_and_the_timeline_say_how_long_ago(client, marketer):
    captured = timezone.now() - timedelta(hours=3, minutes=1)
    lead = LeadFactory(captured_by=marketer, captured_at=captured)
    LeadEvent.objects.create(lead=lead, kind=EventKind.NOTE, actor=marketer, at=captured, note="Met at the fair.")
    LeadFactory(captured_by=marketer)  # a moment ago
    client.force_login(marketer)

    listing = client.get(reverse("leads:list")).content.decode()
    detail = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()

    assert f'<td class="lead-captured">{ago_html(captured, "3 hours")}</td>' in listing
    assert ago_html(captured, "3 hours") in detail
    assert '">just now</time></td>' in listing


def test_the_feedback_queue_says_how_long_ago_each_item_was_opened(client, marketer, rep):
    lead = LeadFactory(captured_by=marketer)
    lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)
    lead_reject_with_feedback(lead=lead, by=rep, reason="spam")
    opened = timezone.now() - timedelta(days=2)
    FeedbackItem.objects.filter(lead=lead).update(created_at=opened)
    client.force_login(marketer)

    html = client.get(reverse("feedback:queue")).content.decode()

    assert ago_html(opened, "2 days") in html
