"""The feedback queue in a real browser: it fits a laptop's width and a phone's with every column's
facts in view, its filters and search apply as soon as they change, and the bell follows what is
marked read without a reload."""

import pytest

from alignment.models import Notification, NotificationKind
from feedback.models import FeedbackItem, ReasonCode
from feedback.services import feedback_reply, verdict_give
from tests.alignment.factories import MarketerFactory, RepFactory
from tests.e2e.conftest import login, wait_until
from tests.feedback.factories import accepted_lead
from tests.leads.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.e2e


def _queue(marketer, rep):
    """Items with the longest facts the queue shows: long names, companies, campaigns, replies."""
    ReasonCode.objects.get_or_create(code="no_budget", defaults={"label": "No budget", "position": 30})
    campaign = CampaignFactory(owner=marketer, name="Spring webinar series for finance leaders 2026")
    for i in range(6):
        lead = accepted_lead(
            marketer=marketer,
            rep=rep,
            campaign=campaign,
            name=f"Maximiliane Alexandra Bartholomew-Featherstonehaugh {i}",
            email=f"maximiliane.featherstonehaugh{i}@international-holdings.test",
            company=f"International Consolidated Holdings and Subsidiaries GmbH & Co. KG {i}",
        )
        verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget", note="Frozen budget.")
    item = FeedbackItem.objects.order_by("id").first()
    feedback_reply(item=item, by=marketer, body="Which budget line was frozen?")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_queue_fits_the_screen_with_age_and_status_in_view(page, live_server, width):
    from playwright.sync_api import expect

    marketer = MarketerFactory(username="mia", first_name="Mia", last_name="Marketingsdepartment")
    rep = RepFactory(username="sam", first_name="Samuel-Alexander", last_name="Salesworthington")
    _queue(marketer, rep)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "mia")

    page.goto(f"{live_server.url}/feedback/")

    rows = page.get_by_test_id("feedback-row")
    expect(rows).to_have_count(6)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    # nor does the table scroll inside a box of its own
    assert page.evaluate("document.querySelector('[data-feedback-queue]').scrollWidth") <= width
    first = rows.first
    for text in ("Judged bad", "No budget", "Open", "Spring webinar series", "Samuel-Alexander"):
        cell = first.get_by_text(text).first
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{text} is outside the screen: {box}"
    age = first.locator(".queue-age time")
    expect(age).to_be_visible()
    assert age.bounding_box()["x"] + age.bounding_box()["width"] <= width


def test_the_queue_filters_and_searches_as_they_change(page, live_server):
    from playwright.sync_api import expect

    marketer = MarketerFactory(username="mia")
    rep = RepFactory(username="sam")
    ReasonCode.objects.get_or_create(code="no_budget", defaults={"label": "No budget", "position": 30})
    ReasonCode.objects.get_or_create(code="spam", defaults={"label": "Spam", "position": 90})
    for name, company, reason in (
        ("Ada Lovelace", "Analytical Engines", "no_budget"),
        ("Grace Hopper", "Navy", "spam"),
    ):
        lead = accepted_lead(marketer=marketer, rep=rep, name=name, company=company)
        verdict_give(lead=lead, by=rep, verdict="bad", reason=reason, note="No.")
    login(page, live_server, "mia")
    page.goto(f"{live_server.url}/feedback/")
    rows = page.get_by_test_id("feedback-row")
    expect(rows).to_have_count(2)

    # A reason chosen applies at once, without the Filter button, and lands in the address.
    page.get_by_label("Reason").select_option(label="Spam")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Grace Hopper")
    wait_until(page, "location.search.includes('reason=spam')")

    # The search box finds a lead by its company once the reader presses Enter.
    page.get_by_label("Reason").select_option(label="Any")
    expect(rows).to_have_count(2)
    page.get_by_label("Search").fill("analytical")
    page.get_by_label("Search").press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ada Lovelace")


def test_marking_read_updates_the_bell_without_a_reload(page, live_server):
    from playwright.sync_api import expect

    rep = RepFactory(username="sam")
    lead = LeadFactory(name="Ada Lovelace")
    for i in range(3):
        Notification.objects.create(
            recipient=rep, kind=NotificationKind.REMINDER, lead=lead, message=f"Reminder {i}.", url=f"/leads/{lead.id}/"
        )
    login(page, live_server, "sam")
    page.goto(f"{live_server.url}/notifications/")
    bell = page.locator("#bell")
    expect(bell).to_have_attribute("aria-label", "Notifications: 3 unread")
    page.evaluate("window.__sameDocument = true")

    # One marked read: the row says so and the bell counts two.
    page.locator(".notification").first.get_by_role("button", name="Mark read").click()
    expect(page.get_by_test_id("unread-count")).to_have_text("2")
    expect(bell).to_have_attribute("aria-label", "Notifications: 2 unread")

    # Opening one goes to its lead and the bell there counts one.
    page.locator(".notification").nth(1).get_by_role("link", name="Open").click()
    page.wait_for_url(f"{live_server.url}/leads/{lead.id}/")
    expect(page.get_by_test_id("unread-count")).to_have_text("1")

    # Back on the list, all marked read at once: no badge, and still the same document.
    page.goto(f"{live_server.url}/notifications/")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_role("status")).to_contain_text("1 notification marked read.")
    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    expect(bell).to_have_attribute("aria-label", "Notifications: 0 unread")
    assert page.evaluate("window.__sameDocument === true")
    assert not Notification.objects.filter(recipient=rep, read=False).exists()
