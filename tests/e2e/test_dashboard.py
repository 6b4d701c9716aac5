"""The shared dashboard in a real Chromium: every role reads it, a filter changes the figures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from leads.models import LeadStatus
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.e2e.conftest import login
from tests.leads.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def people(transactional_db):
    marketer, rep, manager = MarketerFactory(), RepFactory(), ManagerFactory()
    spring = CampaignFactory(name="Spring webinar", owner=marketer)
    fair = CampaignFactory(name="Trade fair", owner=marketer)
    now = timezone.now()
    for campaign, amount in ((spring, "1200"), (fair, "800")):
        LeadFactory(
            campaign=campaign,
            owner=rep,
            status=LeadStatus.WON,
            captured_at=now - timedelta(hours=3),
            handed_off_at=now - timedelta(hours=2),
            accepted_at=now - timedelta(hours=1),
            qualified_at=now - timedelta(minutes=30),
            won_at=now - timedelta(minutes=10),
            won_amount=Decimal(amount),
        )
    return {"marketer": marketer, "rep": rep, "manager": manager, "spring": spring}


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_dashboard_as_each_role_and_a_filter_changes_the_figures(page, live_server, people, role):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, live_server, people[role].username)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.wait_for_url(lambda url: "/dashboard/" in url)

    won = page.get_by_test_id("won-revenue")
    assert won.inner_text() == "2,000.00"
    # The charts are drawn (Chart.js sized the canvases) and the numbers are in a table too.
    page.wait_for_function("document.getElementById('chart-funnel').height > 0")
    assert page.locator("table[data-table='funnel'] tbody tr").count() == 5

    page.get_by_test_id("filter-campaign").select_option(label="Spring webinar")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url(lambda url: f"campaign={people['spring'].pk}" in url)

    assert page.get_by_test_id("won-revenue").inner_text() == "1,200.00"
    assert page.get_by_test_id("filter-campaign").input_value() == str(people["spring"].pk)
    assert errors == []
