"""The notifications inbox at a laptop's and a phone's width: compact rows, no serious violation."""

import pytest

from alignment.models import Notification, NotificationKind
from tests.alignment.factories import MarketerFactory, RepFactory
from tests.e2e.conftest import login
from tests.e2e.test_accessibility import AXE, RUN_AXE
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", (1280, 390))
def test_notifications_inbox_is_compact_and_accessible(browser, live_server, transactional_db, width):
    marketer = MarketerFactory(username="mia")
    lead = LeadFactory(
        name="Ada Lovelace", company="Engines", owner=RepFactory(first_name="Rita"), captured_by=marketer
    )
    for message in ("Ada Lovelace is going cold.", "Ada Lovelace was escalated.", "Feedback waits."):
        Notification.objects.create(recipient=marketer, kind=NotificationKind.REMINDER, lead=lead, message=message)
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        login(page, live_server, "mia")
        page.goto(f"{live_server.url}/notifications/")
        rows = page.locator("[data-testid=notification]")
        assert rows.count() == 3
        assert page.locator("[data-testid=notification-day]").first.inner_text() == "Today"
        if width == 1280:
            # one compact row each: lead, message and actions side by side
            assert rows.first.bounding_box()["height"] < 70
        page.add_script_tag(path=AXE)
        assert page.evaluate(RUN_AXE) == []
    finally:
        context.close()
