"""One date format for the locale: pages, tables, the audit log and emails write a day as "7 Dec 2026"
and a moment as "7 Dec 2026, 14:05", never Django's "Dec. 7, 2026" or an ISO string."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from alignment.audit import audit_record
from alignment.formats.en import formats as house
from alignment.models import AuditArea, Notification
from dashboard.models import RevenueGoal
from leads.models import EventKind
from leads.services import lead_accept, lead_hand_off, lead_snooze
from planning.meetings import action_item_create, meeting_get_or_create
from planning.models import CampaignRequest
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory, VerticalFactory
from tests.leads.factories import CampaignFactory, LeadFactory
from tests.planning.factories import file_request

pytestmark = pytest.mark.django_db

AMERICAN = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}")
ISO_SHOWN = re.compile(r">\s*\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?\s*<")


def test_the_locale_formats_are_the_products():
    assert formats.date_format(date(2026, 12, 7)) == "7 Dec 2026"
    assert formats.date_format(datetime(2026, 12, 7, 14, 5, tzinfo=UTC), "SHORT_DATETIME_FORMAT") == "7 Dec 2026, 14:05"


@pytest.fixture
def house_format(monkeypatch):
    """The house's day format changed to one nobody writes by hand: a page or a message that
    still formats a date itself shows the old form."""
    monkeypatch.setattr(house, "DATE_FORMAT", r"\D\a\y j \o\f F Y")
    for name in ("SHORT_DATETIME_FORMAT", "DATETIME_FORMAT"):
        monkeypatch.setattr(house, name, r"\D\a\y j \o\f F Y \a\t H:i")
    formats.reset_format_cache()
    yield
    monkeypatch.undo()
    formats.reset_format_cache()


def test_lists_messages_and_names_follow_the_house_format(client, house_format):
    # given a lead captured on 2 Nov 2026, an action item due then, a meeting that week and a snooze
    manager, rep = ManagerFactory(), RepFactory()
    LeadFactory(captured_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    action_item_create(by=manager, title="Call the chains", owner=rep, due=date(2026, 11, 2))
    meeting = meeting_get_or_create(week=date(2026, 11, 2))
    client.force_login(manager)

    # when the lead list, the dashboard's custom period and the messages are read
    leads_html = client.get(reverse("leads:list")).content.decode()
    dashboard_html = client.get(
        reverse("dashboard:dashboard"), {"period": "custom", "start": "2026-11-02", "end": "2026-11-08"}
    )

    # then each writes the day as the house does
    assert 'title="Day 2 of November 2026 at 09:00"' in leads_html
    assert "Day 2 of November 2026 – Day 8 of November 2026" in dashboard_html.content.decode()
    assert Notification.objects.get(recipient=rep).message.endswith("(due Day 2 of November 2026).")
    assert str(meeting) == "Week of Day 2 of November 2026"


def test_a_snooze_note_writes_its_moment_in_the_house_format(house_format, marketer, rep):
    lead = LeadFactory()
    lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)
    lead_accept(lead=lead, by=rep)
    until = timezone.localtime(timezone.now() + timedelta(days=30)).replace(second=0, microsecond=0)

    lead_snooze(lead=lead, by=rep, until=until, reason="Back from leave")

    expected = f"Snoozed until Day {until.day} of {until:%B %Y} at {until:%H:%M}: Back from leave"
    assert lead.events.get(kind=EventKind.SNOOZE).note == expected


def test_pages_and_the_audit_log_write_dates_one_way(client):
    manager = ManagerFactory()
    RevenueGoal.objects.create(
        period="quarter",
        starts_on=date(2026, 10, 1),
        amount=Decimal("1000"),
        set_by=manager,
        set_at=datetime(2026, 10, 2, 9, 30, tzinfo=UTC),
    )
    audit_record(actor=manager, area=AuditArea.GOAL, action="created", target="Quarter", changes={})
    client.force_login(manager)

    pages = {
        name: client.get(reverse(name)).content.decode()
        for name in ("dashboard:goal", "alignment:audit-log", "dashboard:digest", "dashboard:dashboard")
    }

    assert "1 Oct 2026" in pages["dashboard:goal"]
    assert "2 Oct 2026, 09:30" in pages["dashboard:goal"] or "2 Oct 2026, 10:30" in pages["dashboard:goal"]
    for name, html in pages.items():
        assert not AMERICAN.search(html), (name, AMERICAN.search(html).group(0))
        assert not ISO_SHOWN.search(html), (name, ISO_SHOWN.search(html).group(0))


def test_a_delivered_requests_outcome_writes_its_first_day_in_the_house_format(client, house_format):
    # given a request delivered with a campaign, whose outcome (stored as figures) counts from a day
    marketer, rep = MarketerFactory(), RepFactory()
    request = file_request(by=rep, vertical=VerticalFactory(name="Retail"))
    CampaignRequest.objects.filter(pk=request.pk).update(
        status="delivered",
        campaign=CampaignFactory(owner=marketer),
        delivered_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
    )
    client.force_login(marketer)

    # when its page is read
    html = client.get(reverse("planning:request", args=[request.pk])).content.decode()

    # then the outcome's first day reads as the house writes a day, not as ISO text
    assert "in this segment since Day 2 of November 2026:" in html
