"""The rep's inbox, open in a real Chromium, shows a handoff another user just made without a
reload, and the bell's count changes; with the live stream down the page still gets there by
polling, and says nothing alarming.

The live case runs the whole site under a real uvicorn (`alignment.asgi`, as `make run` does) on
PostgreSQL and Redis; the stream-down case the WSGI live server, with the stream refused.
"""

import time
from pathlib import Path

import pytest

from alignment.models import NotificationKind
from alignment.services import notification_create
from leads.models import LeadStatus
from leads.services import lead_hand_off
from tests.alignment.factories import MarketerFactory, RepFactory
from tests.e2e.conftest import CHROMIUM, login, wait_until
from tests.e2e.test_accessibility import RUN_AXE
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
assert CHROMIUM


@pytest.fixture
def people(transactional_db):
    marketer = MarketerFactory(username="mia", first_name="Mia", last_name="Marketing")
    rep = RepFactory(username="sam", first_name="Sam", last_name="Sales")
    return marketer, rep


def _wait_for_status(lead, status, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lead.refresh_from_db()
        if lead.status == status:
            return
        time.sleep(0.1)
    raise AssertionError(f"The lead is {lead.status}, not {status}")


def _bell_count(page) -> str:
    return page.evaluate("() => (document.querySelector('#bell [data-testid=unread-count]') || {}).textContent || ''")


@pytest.mark.live
@pytest.mark.parametrize("width", (1280, 390))
def test_a_handoff_by_another_user_appears_in_the_open_inbox_within_two_seconds(browser, people, asgi_server, width):
    marketer, rep = people
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, asgi_server, "sam")
        wait_until(page, "document.body.dataset.live === 'open'")
        assert page.get_by_text("Nothing is waiting for you").is_visible()
        assert _bell_count(page) == ""
        # when: the marketer hands a lead to sam, elsewhere
        lead = LeadFactory(name="Ada Lovelace", company="Engines", campaign__owner=marketer)
        lead_hand_off(lead=lead, rep=rep, note="Asked for a demo on the webinar.", by=marketer)
        started = time.monotonic()  # committed: the service's transaction has ended
        # then: it is in the open inbox within two seconds, without a reload
        wait_until(page, f"document.querySelector('#awaiting [data-lead=\"{lead.pk}\"]')", timeout=2.0)
        assert time.monotonic() - started < 2.0
        assert page.locator(f'#awaiting [data-lead="{lead.pk}"]').get_by_text("Asked for a demo").count() == 1
        assert "Ada Lovelace" in page.locator("#live-status").text_content()
        # when: a notification arrives, the bell's count changes
        notification_create(recipient=rep, kind=NotificationKind.REMINDER, message="Ada Lovelace is going cold.")
        wait_until(page, "(document.querySelector('#bell [data-testid=unread-count]') || {}).textContent === '1'", 2.0)
        assert "1 unread" in page.locator("#bell").get_attribute("aria-label")
        # ...and the page updated in place is as accessible as a loaded one
        page.add_script_tag(path=AXE)
        assert page.evaluate(RUN_AXE) == []
        # The rep takes it from the refreshed inbox.
        page.locator(f'#awaiting [data-lead="{lead.pk}"]').get_by_role("button", name="Accept").click()
        _wait_for_status(lead, LeadStatus.ACCEPTED)
    finally:
        context.close()


def test_with_the_stream_down_the_inbox_still_gets_new_handoffs_by_polling(browser, people, live_server, settings):
    settings.ALIGNMENT_LIVE_FALLBACK_POLL_SECONDS = 1
    marketer, rep = people
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    # The live channel is unreachable (a proxy that drops it, a server that is down).
    page.route("**/api/events/**", lambda route: route.abort())
    try:
        login(page, live_server, "sam")
        wait_until(page, "document.body.dataset.live === 'down'")
        # when
        lead = LeadFactory(name="Grace Hopper", campaign__owner=marketer)
        lead_hand_off(lead=lead, rep=rep, note="Met at the conference.", by=marketer)
        notification_create(recipient=rep, kind=NotificationKind.FEEDBACK, message="Mia asks about a lead.")
        # then: the next poll brings both
        wait_until(page, f"document.querySelector('#awaiting [data-lead=\"{lead.pk}\"]')", timeout=4.0)
        wait_until(page, "(document.querySelector('#bell [data-testid=unread-count]') || {}).textContent === '1'", 4.0)
        # ...and nothing on the page cries wolf
        text = page.locator("main").inner_text().lower()
        for word in ("error", "offline", "disconnected", "failed", "lost connection"):
            assert word not in text
        assert page.locator("[role=alert]").count() == 0
        page.locator(f'#awaiting [data-lead="{lead.pk}"]').get_by_role("button", name="Accept").click()
        _wait_for_status(lead, LeadStatus.ACCEPTED)
    finally:
        context.close()
