"""The loop in a real browser: a rep's bad verdict reaches the marketer, they talk, and the
marketer's resolution sends the lead back to nurture. And the reason-code table, laid out at a
laptop's and a phone's width.

Every wait is for something specific (an element, a URL, the navigation a form submission
starts), with timeouts generous enough for a machine busy with the whole browser suite but still
bounded, so a real failure fails rather than hangs.
"""

import re

import pytest

from feedback.models import FeedbackItem, FeedbackStatus, ReasonCode
from feedback.services import verdict_give
from leads.models import Lead, LeadStatus
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.e2e.conftest import login, logout
from tests.feedback.factories import accepted_lead

pytestmark = pytest.mark.e2e

ACTION_TIMEOUT = 30_000  # ms for a click, fill or wait for an element
NAVIGATION_TIMEOUT = 45_000  # ms for a page load, a form submission and its redirect
EXPECT_TIMEOUT = 20_000  # ms for an assertion about the page to come true
PLAYWRIGHT_EXPECT_DEFAULT = 5_000


@pytest.fixture
def patient_page(page):
    """The page, with waits that tolerate a loaded machine; the expect default is restored after."""
    from playwright.sync_api import expect

    page.set_default_timeout(ACTION_TIMEOUT)
    page.set_default_navigation_timeout(NAVIGATION_TIMEOUT)
    expect.set_options(timeout=EXPECT_TIMEOUT)
    yield page
    expect.set_options(timeout=PLAYWRIGHT_EXPECT_DEFAULT)


def submit(page, button, *, url):
    """Click a form's submit button and wait until the navigation it starts has loaded `url`."""
    with page.expect_navigation(url=url, wait_until="load"):
        button.click()


def test_bad_verdict_conversation_and_recycling(patient_page, live_server):
    from playwright.sync_api import expect

    page = patient_page
    marketer = MarketerFactory(username="mia", first_name="Mia", last_name="Marketing")
    rep = RepFactory(username="sam", first_name="Sam", last_name="Sales")
    lead = accepted_lead(marketer=marketer, rep=rep, name="Ada Lovelace", company="Analytical Engines")
    # A browser test before this one empties the tables, the default reason codes with them.
    ReasonCode.objects.get_or_create(code="no_budget", defaults={"label": "No budget", "position": 30})
    lead_url = f"{live_server.url}/leads/{lead.pk}/"
    item_url_pattern = re.compile(r"/feedback/\d+/(#.*)?$")

    # The rep marks the lead bad, with a reason and what the customer struggles with.
    login(page, live_server, "sam")
    page.goto(lead_url)
    verdict = page.get_by_test_id("verdict-form")
    verdict.get_by_label("Bad").check()
    verdict.get_by_label("Reason").select_option(label="No budget")
    verdict.get_by_label("Note").fill("Budget frozen until Q3.")
    verdict.get_by_label("Customer's pain points").fill("Month-end reports take two days.")
    submit(page, verdict.get_by_role("button", name="Save verdict"), url=re.compile(rf"/leads/{lead.pk}/"))
    expect(page.get_by_test_id("current-verdict")).to_contain_text("Bad")
    expect(page.get_by_test_id("current-verdict")).to_contain_text("No budget")
    expect(page.get_by_test_id("verdict-pain-points")).to_contain_text("Month-end reports take two days.")
    logout(page)

    # The marketer finds it at the top of the queue, sees the pain points on the lead, and replies.
    login(page, live_server, "mia")
    page.goto(lead_url)
    expect(page.get_by_test_id("verdict-pain-points")).to_contain_text("Month-end reports take two days.")
    page.goto(f"{live_server.url}/feedback/")
    first_row = page.get_by_test_id("feedback-row").first
    expect(first_row).to_contain_text("Ada Lovelace")
    expect(first_row).to_contain_text("No budget")
    page.keyboard.press("j")
    expect(first_row.locator("a.item-link")).to_be_focused()
    with page.expect_navigation(url=item_url_pattern, wait_until="load"):
        page.keyboard.press("Enter")
    expect(page.get_by_test_id("item-reason")).to_have_text("No budget")
    page.get_by_label("Reply").fill("Is there any budget for a pilot?")
    submit(page, page.get_by_role("button", name="Send reply"), url=item_url_pattern)
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
    expect(page.get_by_label("Reply")).to_have_value("Not before Q3; try them again then.")
    submit(page, page.get_by_role("button", name="Send reply"), url=item_url_pattern)
    expect(page.get_by_test_id("reply")).to_have_count(2)
    logout(page)

    # The marketer resolves it as recycled to nurture.
    login(page, live_server, "mia")
    page.goto(item_url)
    expect(page.get_by_test_id("reply").nth(1)).to_contain_text("Not before Q3")
    page.get_by_label("Recycled to nurture").check()
    page.get_by_label("Why back to nurture").fill("Budget frozen until Q3")
    submit(page, page.get_by_role("button", name="Resolve"), url=item_url_pattern)
    expect(page.get_by_test_id("item-status")).to_contain_text("Recycled to nurture")

    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadStatus.NURTURE
    assert lead.recycle_count == 1
    assert lead.owner is None
    assert FeedbackItem.objects.get(lead=lead).status == FeedbackStatus.RESOLVED
    page.goto(lead_url)
    expect(page.locator("body")).to_contain_text("Recycled")


def _overlap(a, b) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and (a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
    )


def _inside(inner, outer) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


@pytest.mark.parametrize("width", [1280, 375])
def test_reason_code_rows_keep_rename_clear_of_the_state(patient_page, live_server, width):
    from playwright.sync_api import expect

    page = patient_page
    ManagerFactory(username="max")
    # Whether the default codes are there depends on the tests before; these are there either way.
    labels = ["No budget", "Not our ideal customer", "Duplicate / already in pipeline", "Wrong contact data"]
    for position, label in enumerate(labels):
        ReasonCode.objects.create(code=f"code_{position}", label=label, position=position)
    ReasonCode.objects.create(code="wrong_contact_data_in_the_import", label="Bad import", position=9, active=False)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, "max")
    page.goto(f"{live_server.url}/feedback/reasons/")
    rows = page.locator("tr[data-reason]")
    expect(rows.first).to_be_visible()

    expect(page.locator("tr[data-reason='wrong_contact_data_in_the_import']")).to_be_visible()
    active = dict(ReasonCode.objects.values_list("code", "active"))
    count = rows.count()
    assert count == len(active) >= 5
    # The page is laid out by its stylesheets, not the browser's defaults.
    assert rows.first.locator("form.rename-form").evaluate("form => getComputedStyle(form).display") == "flex"
    for i in range(count):
        row = rows.nth(i)
        rename = row.get_by_role("button", name="Rename").bounding_box()
        field = row.get_by_role("textbox").bounding_box()
        state = row.get_by_test_id("reason-state")
        expect(state).to_have_text("In use" if active[row.get_attribute("data-reason")] else "Retired")
        # The text itself, not its cell: that is what a person reads.
        text = state.evaluate(
            "cell => { const r = document.createRange(); r.selectNodeContents(cell);"
            " const b = r.getBoundingClientRect(); return {x: b.x, y: b.y, width: b.width, height: b.height}; }"
        )
        label_cell = row.locator("td.reason-label").bounding_box()
        assert not _overlap(rename, text), (i, rename, text)
        assert not _overlap(rename, field), (i, rename, field)
        assert _inside(rename, label_cell), (i, rename, label_cell)
    # Nothing sticks out sideways at this width.
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_scorecard_shows_every_column_at_laptop_width(patient_page, live_server):
    from playwright.sync_api import expect

    from feedback.services import lead_win_with_feedback
    from leads.services import lead_qualify
    from tests.leads.factories import CampaignFactory

    page = patient_page
    marketer = MarketerFactory(username="mia")
    rep = RepFactory(username="sam")
    campaign = CampaignFactory(owner=marketer, name="Trade fair Hannover", cost="3000.00")
    lead = accepted_lead(marketer=marketer, rep=rep, campaign=campaign)
    lead_qualify(lead=lead, by=rep)
    lead_win_with_feedback(lead=lead, by=rep, amount="125000")
    # Long reasons widen the table as real data does.
    for position, label in enumerate(["Duplicate / already in pipeline", "Student or job seeker", "Existing customer"]):
        reason, _ = ReasonCode.objects.get_or_create(code=f"long_{position}", defaults={"label": label})
        verdict_give(
            lead=accepted_lead(marketer=marketer, rep=rep, campaign=campaign), by=rep, verdict="bad", reason=reason.code
        )

    login(page, live_server, "mia")
    page.goto(f"{live_server.url}/feedback/campaigns/")
    table = page.get_by_test_id("scorecard")
    expect(table).to_be_visible()

    for name in ("Won revenue", "Cost per won deal"):
        header = table.get_by_role("columnheader", name=name).bounding_box()
        assert header["x"] + header["width"] <= 1280, name
    row = table.locator(f"tr[data-campaign='{campaign.pk}']")
    expect(row.get_by_test_id("won-revenue")).to_contain_text("€125,000")
    expect(row.get_by_test_id("cost-per-won")).to_have_text("€3,000")
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth")
