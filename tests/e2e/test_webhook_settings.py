"""The webhooks page in a real browser: "Send test" answers in place, and the page fits a phone."""

import os
import tempfile
from pathlib import Path

import pytest

from alignment.models import WebhookDelivery
from alignment.webhooks.services import webhook_endpoint_create
from tests.alignment.factories import ManagerFactory
from tests.e2e.conftest import login, wait_until
from tests.e2e.test_accessibility import AXE, RUN_AXE

pytestmark = pytest.mark.e2e

LONG_URL = "http://127.0.0.1:9/hooks/a-rather-long-path-that-an-integration-platform-hands-out/" + "x" * 40


SHOTS = Path(os.environ.get("ALIGNMENT_SCREENSHOTS", tempfile.gettempdir()))
# What sticks out past the right edge, for the failure message.
WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('main *')]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 12).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.mark.parametrize("width", [390, 1280])
def test_the_webhooks_page_fits_and_send_test_answers_in_place(
    browser, live_server, transactional_db, private_webhooks, width, tmp_path
):
    manager = ManagerFactory(username="max")
    endpoint = webhook_endpoint_create(url=LONG_URL, events=["*"], description="The CRM", by=manager)
    context = browser.new_context(viewport={"width": width, "height": 844}, bypass_csp=True)  # for axe
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, live_server, "max")
        page.goto(f"{live_server.url}/settings/webhooks/")

        # the page fits its width: nothing scrolls sideways
        page.screenshot(path=str(SHOTS / f"webhooks-{width}.png"), full_page=True)
        wide = page.evaluate(WIDER_THAN_SCREEN)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, wide

        # "Send test" answers in the row; the page neither reloads nor moves
        page.evaluate("window.scrollTo(0, 200); window.__stayed = true")
        page.get_by_role("button", name="Send test").click()
        result = page.get_by_test_id("webhook-ping-result")
        result.wait_for()
        wait_until(
            page, "document.querySelector('[data-testid=webhook-ping-result]').textContent.includes('Test sent')"
        )
        assert page.evaluate("window.__stayed") is True
        assert page.url == f"{live_server.url}/settings/webhooks/"
        assert WebhookDelivery.objects.filter(endpoint=endpoint, event__type="ping").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width

        page.add_script_tag(path=AXE)
        assert page.evaluate(RUN_AXE) == []
    finally:
        context.close()
