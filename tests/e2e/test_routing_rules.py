"""A manager keeps the routing rules on the product's own page: by keyboard, with field errors in place,
and without serious accessibility violations at a laptop's and a phone's width."""

import pytest

from alignment.models import Vertical
from leads.models import RoutingRule
from tests.alignment.factories import ManagerFactory, RepFactory
from tests.e2e.conftest import login
from tests.e2e.test_accessibility import AXE, RUN_AXE

pytestmark = pytest.mark.e2e


def _axe(page):
    page.add_script_tag(path=AXE)
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("width", (1280, 390))
def test_manager_adds_edits_and_deletes_a_rule_by_keyboard(browser, live_server, transactional_db, width):
    ManagerFactory(username="max")
    RepFactory(username="rita", first_name="Rita", last_name="Ortega")
    Vertical.objects.create(name="Retail")
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, live_server, "max")
        # the managers' menu leads there (on a phone, behind "Menu")
        if width < 700:
            page.locator("[data-testid=nav-menu] > summary").click()
        page.locator("[data-testid=settings-menu] > summary").click()
        page.get_by_test_id("settings-menu").get_by_role("link", name="Routing rules").click()
        page.wait_for_url("**/leads/routing-rules/")

        # when the form is filled from the keyboard with a country that does not exist
        name = page.get_by_label("Name")
        name.focus()
        page.keyboard.type("DACH retail")
        page.keyboard.press("Tab")
        page.keyboard.type("DE, Atlantis")
        page.keyboard.press("Tab")
        page.keyboard.press("Space")  # the first vertical: Retail
        page.keyboard.press("Tab")
        page.keyboard.press("Space")  # the first rep: Rita
        page.get_by_role("button", name="Add the rule").press("Enter")

        # then the error stands under the countries field and what was typed is kept
        page.wait_for_load_state("load")
        error = page.locator(".field-countries .errorlist")
        assert error.inner_text() == "Unknown country: Atlantis."
        assert page.get_by_label("Name").input_value() == "DACH retail"
        assert page.get_by_label("Retail").is_checked()
        assert _axe(page) == []

        # when corrected
        page.get_by_label("Countries").fill("DE, Austria")
        page.get_by_role("button", name="Add the rule").click()
        row = page.locator("tr[data-rule='DACH retail']")
        row.wait_for()
        assert "Austria (AT), Germany (DE)" in row.inner_text()
        assert "Rita Ortega" in row.inner_text()
        assert _axe(page) == []

        # edit: switch it off
        row.get_by_role("link", name="Edit DACH retail").click()
        page.get_by_label("Active").uncheck()
        assert _axe(page) == []
        page.get_by_role("button", name="Save the rule").click()
        assert page.locator("tr[data-rule='DACH retail'] [data-testid=rule-state]").inner_text() == "Off"
        assert RoutingRule.objects.get(name="DACH retail").active is False

        # delete, after confirming
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Delete DACH retail").click()
        page.locator("tr[data-rule='DACH retail']").wait_for(state="detached")
        assert not RoutingRule.objects.exists()
    finally:
        context.close()
