"""The loop in a real browser: a rep's bad verdict reaches the marketer, they talk, and the
marketer's resolution sends the lead back to nurture."""

import re

import pytest

from feedback.models import FeedbackItem, FeedbackStatus
from leads.models import Lead, LeadStatus
from tests.alignment.factories import MarketerFactory, RepFactory
from tests.e2e.conftest import login, logout
from tests.feedback.factories import accepted_lead

pytestmark = pytest.mark.e2e


def test_bad_verdict_conversation_and_recycling(page, live_server):
    from playwright.sync_api import expect

    marketer = MarketerFactory(username="mia", first_name="Mia", last_name="Marketing")
    rep = RepFactory(username="sam", first_name="Sam", last_name="Sales")
    lead = accepted_lead(marketer=marketer, rep=rep, name="Ada Lovelace", company="Analytical Engines")

    # The rep marks the lead bad, with a reason.
    login(page, live_server, "sam")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    verdict = page.get_by_test_id("verdict-form")
    verdict.get_by_label("Bad").check()
    verdict.get_by_label("Reason").select_option(label="No budget")
    verdict.get_by_label("Note").fill("Budget frozen until Q3.")
    verdict.get_by_role("button", name="Save verdict").click()
    expect(page.get_by_test_id("current-verdict")).to_contain_text("Bad")
    expect(page.get_by_test_id("current-verdict")).to_contain_text("No budget")
    logout(page)

    # The marketer finds it at the top of the queue and replies.
    login(page, live_server, "mia")
    page.goto(f"{live_server.url}/feedback/")
    first_row = page.get_by_test_id("feedback-row").first
    expect(first_row).to_contain_text("Ada Lovelace")
    expect(first_row).to_contain_text("No budget")
    page.keyboard.press("j")
    expect(first_row.locator("a.item-link")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/feedback/\d+/$"))
    expect(page.get_by_test_id("item-reason")).to_have_text("No budget")
    page.get_by_label("Reply").fill("Is there any budget for a pilot?")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_test_id("reply")).to_have_count(1)
    item_url = page.url.split("#")[0]
    logout(page)

    # The rep answers from the keyboard.
    login(page, live_server, "sam")
    page.goto(item_url)
    expect(page.get_by_test_id("reply")).to_contain_text("Is there any budget for a pilot?")
    page.keyboard.press("r")
    expect(page.get_by_label("Reply")).to_be_focused()
    page.keyboard.type("Not before Q3; try them again then.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_test_id("reply")).to_have_count(2)
    logout(page)

    # The marketer resolves it as recycled to nurture.
    login(page, live_server, "mia")
    page.goto(item_url)
    expect(page.get_by_test_id("reply").nth(1)).to_contain_text("Not before Q3")
    page.get_by_label("Recycled to nurture").check()
    page.get_by_label("Why back to nurture").fill("Budget frozen until Q3")
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_test_id("item-status")).to_contain_text("Recycled to nurture")

    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.NURTURE
    assert lead.recycle_count == 1
    assert lead.owner is None
    assert FeedbackItem.objects.get(lead=lead).status == FeedbackStatus.RESOLVED
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    expect(page.locator("body")).to_contain_text("Recycled")
