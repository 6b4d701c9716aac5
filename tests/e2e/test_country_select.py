"""The country is picked by name in a real browser, on a laptop and a phone: "Germany" is saved as
DE (not "GE", Georgia, as the two-letter box used to do), and the lead's page names it."""

import re

import pytest

from leads.models import Lead
from tests.alignment.factories import MarketerFactory
from tests.e2e.conftest import login
from tests.leads.factories import CampaignFactory

pytestmark = pytest.mark.e2e

SCREENS = {"laptop": (1280, 900), "phone": (390, 844)}


@pytest.mark.parametrize("screen", SCREENS)
def test_a_marketer_picks_germany_by_name_and_it_is_saved_as_de(browser, transactional_db, live_server, screen):
    from playwright.sync_api import expect

    width, height = SCREENS[screen]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        marketer = MarketerFactory(username="mia")
        campaign = CampaignFactory(owner=marketer, name="Trade fair")
        login(page, live_server, "mia")
        page.goto(f"{live_server.url}/leads/new/")

        page.get_by_label("Campaign").select_option(label="Trade fair")
        page.get_by_label("Email").fill("klara@example.de")
        country = page.get_by_label("Country")
        country.select_option(label="Germany")
        expect(country).to_have_value("DE")
        page.get_by_role("button", name="Capture lead").click()
        page.wait_for_url(lambda url: re.search(r"/leads/\d+/", url) is not None)

        lead = Lead.objects.get(email="klara@example.de")
        assert (lead.country, lead.campaign) == ("DE", campaign)
        expect(page.locator("dd", has_text="Germany")).to_be_visible()
        scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
        assert scroll_width <= width
    finally:
        context.close()
