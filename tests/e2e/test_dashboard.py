"""The shared dashboard in a real Chromium: every role reads it, a filter changes the figures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from feedback.models import ReasonCode
from leads.models import Handoff, HandoffOutcome, LeadStatus
from leads.rollup import lead_days_rebuild
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.e2e.conftest import login, wait_until
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
    lead_days_rebuild()  # the leads were built by hand, not by the services
    return {"marketer": marketer, "rep": rep, "manager": manager, "spring": spring}


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_dashboard_as_each_role_and_a_filter_changes_the_figures(page, live_server, people, role):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, live_server, people[role].username)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.wait_for_url(lambda url: "/dashboard/" in url)

    won = page.get_by_test_id("won-revenue")
    assert won.inner_text() == "€2,000"
    # The charts are drawn (Chart.js sized the canvases) and the numbers are in a table too.
    wait_until(page, "document.getElementById('chart-funnel').height > 0")
    assert page.locator("table[data-table='funnel'] tbody tr").count() == 5

    page.get_by_test_id("filter-campaign").select_option(label="Spring webinar")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url(lambda url: f"campaign={people['spring'].pk}" in url)

    assert page.get_by_test_id("won-revenue").inner_text() == "€1,200"
    assert page.get_by_test_id("filter-campaign").input_value() == str(people["spring"].pk)
    assert errors == []


@pytest.mark.parametrize("width", [1280, 390])
def test_speed_to_lead_card_and_by_rep_table_fit_the_screen(page, live_server, people, width):
    # given a rep with a name who answered a handoff in three minutes
    rep = people["rep"]
    rep.first_name, rep.last_name = "Ravi", "Sales"
    rep.save(update_fields=["first_name", "last_name"])
    now = timezone.now()
    Handoff.objects.create(
        lead=LeadFactory(campaign=people["spring"], status=LeadStatus.ACCEPTED, owner=rep),
        by=people["marketer"],
        to_rep=rep,
        note="story",
        created_at=now - timedelta(minutes=10),
        sla_due_at=now + timedelta(hours=23),
        outcome=HandoffOutcome.ACCEPTED,
        ended_at=now - timedelta(minutes=7),
    )
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, people["manager"].username)

    # when
    page.goto(f"{live_server.url}/dashboard/")

    # then the four figures are shown, and the rep by name
    card = page.get_by_test_id("speed-to-lead")
    card.scroll_into_view_if_needed()
    assert page.get_by_test_id("speed-p50").inner_text() == "3 min"
    assert page.get_by_test_id("speed-p90").inner_text() == "3 min"
    assert page.get_by_test_id("speed-5-minutes").inner_text() == "100%"
    assert page.get_by_test_id("speed-1-hour").inner_text() == "100%"
    row = page.locator("table[data-table='speed_to_lead_by_rep'] tbody tr")
    assert row.count() == 1
    assert row.first.locator("th").inner_text() == "Ravi Sales"
    assert all(
        page.get_by_test_id(t).is_visible() for t in ("speed-p50", "speed-p90", "speed-5-minutes", "speed-1-hour")
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width < 576:  # two by two on a phone, not four squeezed in a row nor one per line
        boxes = [page.get_by_test_id(t).bounding_box() for t in ("speed-p50", "speed-p90", "speed-5-minutes")]
        assert boxes[0]["y"] == boxes[1]["y"] < boxes[2]["y"]

    # and a period with no answered handoff says so
    page.goto(f"{live_server.url}/dashboard/?period=month&start=2025-01-01")
    assert page.get_by_test_id("speed-empty").inner_text() == "No answered handoffs in this period."


@pytest.mark.parametrize("width", [1280, 390])
def test_switching_the_period_type_starts_from_the_current_period(page, live_server, people, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, live_server, people["marketer"].username)
    today = timezone.localdate()

    # given an old quarter on screen
    page.goto(f"{live_server.url}/dashboard/?period=quarter&start=2025-10-01")
    assert page.get_by_test_id("period-label").inner_text() == "Q4 2025"

    # when the type becomes Month, the dates start from today
    page.get_by_test_id("filter-period").select_option("month")
    assert page.get_by_test_id("filter-start").input_value() == today.isoformat()
    assert page.get_by_test_id("filter-end").input_value() == ""
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url(lambda url: "period=month" in url)

    # then the current month is shown, not the old quarter's first month
    assert page.get_by_test_id("period-label").inner_text() == today.strftime("%B %Y")

    # and a custom range starts as the period on screen
    page.get_by_test_id("filter-period").select_option("custom")
    month_start = today.replace(day=1)
    assert page.get_by_test_id("filter-start").input_value() == month_start.isoformat()
    assert page.get_by_test_id("filter-end").input_value() != ""


@pytest.fixture
def rejections(people):
    """Handoffs rejected this week for every reason, so the Pareto chart has long labels to show."""
    now = timezone.now()
    codes = list(ReasonCode.objects.order_by("pk"))
    for count, code in enumerate(codes, start=1):
        for _ in range(max(1, len(codes) - count)):
            lead = LeadFactory(campaign=people["spring"], status=LeadStatus.NEW, captured_at=now - timedelta(hours=4))
            Handoff.objects.create(
                lead=lead,
                by=people["marketer"],
                to_rep=people["rep"],
                note="story",
                created_at=now - timedelta(hours=3),
                sla_due_at=now + timedelta(hours=21),
                outcome=HandoffOutcome.REJECTED,
                ended_at=now - timedelta(hours=2),
                reject_reason=code,
            )
    return codes


def test_dashboard_charts_on_a_phone_keep_a_readable_plot_and_every_reason(page, live_server, people, rejections):
    page.set_viewport_size({"width": 375, "height": 800})
    login(page, live_server, people["manager"].username)

    page.goto(f"{live_server.url}/dashboard/")
    wait_until(page, "document.getElementById('chart-reasons').height > 0")

    heights = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('canvas')].map(c => [c.id, c.clientHeight]))"
    )
    assert all(height >= 250 for height in heights.values()), heights
    # On a phone the Pareto chart lays its bars horizontally and labels every reason, none skipped.
    reasons = page.evaluate(
        """() => {
            const chart = Chart.getChart('chart-reasons');
            return {axis: chart.options.indexAxis, ticks: chart.scales.y.ticks.length, area: chart.chartArea.height};
        }"""
    )
    assert reasons["axis"] == "y"
    assert reasons["ticks"] == len(rejections)
    assert reasons["area"] >= len(rejections) * 30
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    page.set_viewport_size({"width": 1280, "height": 900})
    wait_until(page, "Chart.getChart('chart-reasons').options.indexAxis === 'x'")
    assert page.evaluate("Chart.getChart('chart-reasons').scales.x.ticks.length") == len(rejections)


def test_digest_on_a_phone_fits_the_screen(page, live_server, people):
    page.set_viewport_size({"width": 375, "height": 800})
    LeadFactory(
        campaign=people["spring"],
        owner=people["rep"],
        status=LeadStatus.WON,
        name="Maximiliane-Josephine Oberhausen-Wittgenstein",
        company="Internationale Handelsgesellschaft für Industriebedarf",
        won_at=timezone.now() - timedelta(days=7),
        won_amount=Decimal("123456789.00"),
    )
    login(page, live_server, people["rep"].username)

    page.goto(f"{live_server.url}/dashboard/digest/")

    assert page.get_by_text("Internationale Handelsgesellschaft").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    show = page.get_by_role("button", name="Show").bounding_box()
    card = page.locator("article.digest").bounding_box()
    assert show["x"] + show["width"] <= card["x"] + card["width"]
    # A wide table scrolls inside its own box instead of widening the page.
    assert page.locator("article.digest table").first.evaluate("t => t.scrollWidth > t.parentElement.clientWidth")
    assert page.locator("article.digest .overflow-auto").first.evaluate("box => getComputedStyle(box).overflowX") in (
        "auto",
        "scroll",
    )
    assert page.locator("#digest-week").get_attribute("min") == "2000-01-01"
    assert page.locator("#digest-week").get_attribute("max") == "2100-12-31"
