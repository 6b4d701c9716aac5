import re

import pytest
from playwright.sync_api import expect

from leads.models import Lead, LeadStatus
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.e2e.conftest import login, logout
from tests.leads.factories import CampaignFactory

pytestmark = pytest.mark.e2e


def test_marketer_captures_and_hands_off_and_the_rep_accepts_from_the_inbox(page, live_server):
    marketer = MarketerFactory(username="marketer", first_name="Maria", last_name="Marketing")
    rep = RepFactory(username="rep", first_name="Sam", last_name="Sales")
    CampaignFactory(name="Spring Webinar", owner=marketer)

    # The marketer captures a lead in the form.
    login(page, live_server, "marketer")
    page.get_by_role("link", name="New lead").first.click()
    page.get_by_label("Campaign").select_option(label="Spring Webinar")
    page.get_by_label("Email").fill("ada@analytical.test")
    page.get_by_label("Name", exact=True).fill("Ada Lovelace")
    page.get_by_label("Company").fill("Analytical Engines")
    page.get_by_role("button", name="Capture lead").click()
    expect(page.get_by_role("status")).to_contain_text("Lead Ada Lovelace captured")
    expect(page.get_by_role("heading", name="Ada Lovelace", level=1)).to_be_visible()

    # ... and hands it to the rep with the lead's story.
    page.get_by_label("Hand off to").select_option(label="Sam Sales")
    page.get_by_label("The lead's story").fill("Asked for pricing for 40 seats at the webinar.")
    page.get_by_role("button", name="Hand off").click()
    expect(page.get_by_role("status")).to_contain_text("Handed off to Sam Sales")
    expect(page.get_by_test_id("lead-owner")).to_have_text("Sam Sales")
    logout(page)

    # The rep finds it in the inbox, with the story and the time left, and accepts it.
    login(page, live_server, "rep")
    awaiting = page.locator("#awaiting article", has_text="Ada Lovelace")
    expect(awaiting).to_be_visible()
    expect(awaiting).to_contain_text("Asked for pricing for 40 seats at the webinar.")
    expect(awaiting).to_contain_text(re.compile(r"left to answer"))
    awaiting.get_by_role("button", name="Accept").click()

    # the row says so in place; loaded again, the inbox has it among the working leads
    expect(awaiting).to_contain_text("Accepted Ada Lovelace")
    page.reload()
    expect(page.locator("#awaiting")).to_contain_text("Nothing is waiting for you")
    expect(page.locator("#working")).to_contain_text("Ada Lovelace")
    lead = Lead.objects.get(email="ada@analytical.test")
    assert lead.status == LeadStatus.ACCEPTED
    assert lead.owner == rep


@pytest.mark.parametrize("path", ["/", "/leads/", "/leads/new/"])
def test_pages_fit_a_phone_screen(browser, transactional_db, live_server, path):
    marketer = MarketerFactory(username="marketer")
    campaign = CampaignFactory(name="Spring Webinar", owner=marketer)
    Lead.objects.create(
        email="grace@navy.test",
        name="Grace Hopper",
        company="US Navy",
        campaign=campaign,
        captured_by=marketer,
        captured_at=campaign.created_at,
        last_touch_at=campaign.created_at,
        last_activity_at=campaign.created_at,
    )
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        login(page, live_server, "marketer")
        page.goto(f"{live_server.url}{path}")

        # Nothing but wide tables (which scroll inside their own box) may push the page sideways.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        # The navigation folds into one "Menu" row so the page starts near the top of the screen.
        header_height = page.locator("header.site-header").bounding_box()["height"]
        assert header_height < 90, header_height
        expect(page.get_by_role("button", name="Log out")).to_be_hidden()
        page.locator(".nav-menu > summary").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_manager_finds_every_setting_under_settings_in_the_nav(browser, transactional_db, live_server, width):
    ManagerFactory(username="manager", is_staff=True)
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=width < 600)
    page = context.new_page()
    try:
        login(page, live_server, "manager")

        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="SLA settings")).to_be_hidden()
        if width < 600:
            page.locator(".nav-menu > summary").click()
        nav.get_by_text("Settings", exact=True).click()
        nav.get_by_role("link", name="Reason codes").click()

        expect(page).to_have_url(re.compile(r"/feedback/reasons/$"))
    finally:
        context.close()


def test_keyboard_hints_show_on_a_laptop_and_not_on_a_phone(browser, transactional_db, live_server):
    ManagerFactory(username="manager")
    for width, visible in [(1280, True), (375, False)]:
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        try:
            login(page, live_server, "manager")
            page.goto(f"{live_server.url}/feedback/")
            hint = page.locator(".keys").first
            if visible:
                expect(hint).to_be_visible()
            else:
                expect(hint).to_be_hidden()
        finally:
            context.close()


def test_lead_list_filters_in_place_and_keeps_the_filter_in_the_url(page, live_server):
    marketer = MarketerFactory(username="marketer")
    campaign = CampaignFactory(name="Spring Webinar", owner=marketer)
    for email, name in [("ada@analytical.test", "Ada Lovelace"), ("grace@navy.test", "Grace Hopper")]:
        Lead.objects.create(
            email=email,
            name=name,
            campaign=campaign,
            captured_by=marketer,
            captured_at=campaign.created_at,
            last_touch_at=campaign.created_at,
            last_activity_at=campaign.created_at,
        )
    login(page, live_server, "marketer")
    page.goto(f"{live_server.url}/leads/")
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Search").fill("grace")
    page.get_by_label("Search").press("Enter")

    results = page.locator("#lead-results")
    expect(results).not_to_contain_text("Ada Lovelace")
    expect(results).to_contain_text("Grace Hopper")
    expect(page).to_have_url(re.compile(r"q=grace"))
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the results, no full reload


def test_capture_form_shows_errors_inline_and_puts_the_cursor_on_the_field(page, live_server):
    marketer = MarketerFactory(username="marketer")
    CampaignFactory(name="Spring Webinar", owner=marketer)
    login(page, live_server, "marketer")
    page.goto(f"{live_server.url}/leads/new/")
    expect(page.get_by_label("Campaign")).to_be_focused()

    page.get_by_label("Campaign").select_option(label="Spring Webinar")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Email").press("Enter")

    expect(page.locator(".field-email .errorlist")).to_contain_text("Enter a valid email address.")
    expect(page.get_by_label("Email")).to_be_focused()
    assert not Lead.objects.exists()
