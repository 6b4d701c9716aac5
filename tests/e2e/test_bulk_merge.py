"""Bulk hand-off from the lead list and merging two leads from the lead page, on a laptop and a phone."""

import pytest
from playwright.sync_api import expect

from leads.models import Lead, LeadStatus
from tests.alignment.factories import MarketerFactory, RepFactory
from tests.e2e.conftest import login
from tests.leads.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.e2e

WIDTHS = [1280, 390]


def _page_at(browser, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    return context, context.new_page()


def _fits(page):
    # Nothing but the lead table (which scrolls inside its own box) is wider than the screen.
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", WIDTHS)
def test_bulk_hand_off_of_selected_leads_shows_each_result(browser, transactional_db, live_server, width):
    marketer = MarketerFactory(username="marketer")
    RepFactory(username="rep", first_name="Sam", last_name="Sales")
    campaign = CampaignFactory(name="Spring Webinar", owner=marketer)
    first, second, third = (LeadFactory(campaign=campaign, name=name) for name in ("Ada", "Grace", "Hedy"))
    context, page = _page_at(browser, width)
    try:
        login(page, live_server, "marketer")
        page.goto(f"{live_server.url}/leads/")
        expect(page.get_by_test_id("list-count")).to_have_text("1–3 of 3")
        page.get_by_label("Select Ada").check()
        page.get_by_label("Select Grace").focus()
        page.keyboard.press("Space")  # keyboard-usable
        page.get_by_test_id("bulk-action").select_option("hand_off")
        page.get_by_test_id("bulk-rep").select_option(label="Sam Sales")
        page.get_by_test_id("bulk-note").fill("Asked for a demo at the webinar.")
        assert _fits(page)
        page.get_by_test_id("bulk-submit").click()
        expect(page.get_by_test_id("bulk-summary")).to_have_text("2 done, 0 refused.")
        expect(page.get_by_test_id("bulk-results").locator("tr[data-result='done']")).to_have_count(2)
        statuses = dict(Lead.objects.values_list("name", "status"))
        assert statuses == {"Ada": LeadStatus.HANDED_OFF, "Grace": LeadStatus.HANDED_OFF, "Hedy": LeadStatus.NEW}
        # the list below shows them handed off, in place; then all matching the filter, by the
        # rules: the two handed off are refused (a marketer cannot reassign)
        expect(page.locator("#lead-results .status-handed_off")).to_have_count(2)
        page.get_by_test_id("select-all-matching").check()
        page.get_by_test_id("bulk-rep").select_option(label="By the routing rules")
        page.get_by_test_id("bulk-note").fill("Second wave.")
        page.get_by_test_id("bulk-submit").click()
        expect(page.get_by_test_id("bulk-summary")).to_have_text("1 done, 2 refused.")
        expect(page.get_by_test_id("bulk-results")).to_contain_text("only a manager can reassign it")
        # no routing rule: Hedy waits in the managers' queue
        assert set(Lead.objects.values_list("status", flat=True)) == {LeadStatus.HANDED_OFF}
        assert {first.pk, second.pk} == set(Lead.objects.filter(owner__isnull=False).values_list("pk", flat=True))
        assert Lead.objects.get(pk=third.pk).owner is None
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_merge_two_leads_from_the_lead_page(browser, transactional_db, live_server, width):
    marketer = MarketerFactory(username="marketer")
    campaign = CampaignFactory(name="Spring Webinar", owner=marketer)
    survivor = LeadFactory(campaign=campaign, name="Ada Lovelace", email="ada@engines.test")
    other = LeadFactory(campaign=campaign, name="A. Lovelace", email="ada.l@engines.test", phone="+44 20 7946 0018")
    context, page = _page_at(browser, width)
    try:
        login(page, live_server, "marketer")
        page.goto(f"{live_server.url}/leads/{survivor.pk}/")
        page.get_by_test_id("merge-email").fill("ADA.L@engines.test")
        assert _fits(page)
        page.get_by_test_id("merge-submit").click()
        # the preview: both side by side, the phone the survivor takes, and nothing merged yet
        compare = page.get_by_test_id("merge-compare")
        expect(compare).to_contain_text("A. Lovelace")
        expect(compare.locator("tr[data-field='phone']")).to_contain_text("+44 20 7946 0018 (from the other lead)")
        expect(page.get_by_test_id("merge-moves")).to_contain_text("0 handoffs")
        assert _fits(page)
        assert Lead.objects.get(pk=other.pk).merged_into_id is None
        page.get_by_test_id("merge-confirm").click()
        expect(page.get_by_role("status").first).to_contain_text("ada.l@engines.test merged into this lead")
        assert Lead.objects.get(pk=survivor.pk).phone == "+44 20 7946 0018"
        expect(page.locator("ol.timeline")).to_contain_text("Merged ada.l@engines.test")
        page.goto(f"{live_server.url}/leads/{other.pk}/")
        expect(page.get_by_test_id("merged-into")).to_contain_text("Ada Lovelace")
        expect(page.get_by_test_id("merge-email")).to_have_count(0)
        page.get_by_test_id("merged-into").get_by_role("link").click()
        page.wait_for_url(f"**/leads/{survivor.pk}/")
        page.goto(f"{live_server.url}/leads/")
        expect(page.get_by_test_id("list-count")).to_have_text("1–1 of 1")
    finally:
        context.close()
