"""The header and the login card as a person sees them at a laptop's width."""

import pytest
from playwright.sync_api import expect

from tests.alignment.factories import ManagerFactory
from tests.e2e.conftest import login, logout

pytestmark = pytest.mark.e2e

# The top of each entry of the header's navigation: brand and links alike.
ROW_TOPS = """() => [...document.querySelectorAll('.site-header nav > ul:first-child > li, .nav-links > li')]
  .map((li) => { const r = li.getBoundingClientRect(); return Math.round(r.top + r.height / 2); })"""


def test_managers_menu_fits_one_row_at_1280(page, live_server):
    ManagerFactory(username="max", first_name="Maximilian", last_name="Managerson-Whitfield")
    login(page, live_server, "max")

    middles = page.evaluate(ROW_TOPS)
    assert len(middles) >= 12
    # every entry on one line, the brand's included: their vertical middles within a few pixels
    assert max(middles) - min(middles) <= 6, middles
    # one row is about 90 px high; the two rows it used to wrap into were 170
    assert page.locator("header.site-header").bounding_box()["height"] < 110
    # the account entry opens on the name and still leads to preferences and logging out
    page.locator("[data-testid=user-menu] > summary").click()
    expect(page.get_by_text("Maximilian Managerson-Whitfield")).to_be_visible()
    expect(page.get_by_role("link", name="Preferences")).to_be_visible()
    logout(page)


def test_login_card_ends_with_its_button(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")

    gap = page.evaluate(
        """() => {
          const card = document.querySelector('article.narrow').getBoundingClientRect();
          const button = document.querySelector('article.narrow button[type=submit]').getBoundingClientRect();
          return card.bottom - button.bottom;
        }"""
    )
    padding = page.evaluate("parseFloat(getComputedStyle(document.querySelector('article.narrow')).paddingBottom)")
    # only the card's own padding under the button: no extra band
    assert gap <= padding + 1, (gap, padding)
