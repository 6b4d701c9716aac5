"""The lead list and the rep's inbox in a real Chromium, at a laptop's width and a phone's: the list
fits without scrolling sideways and shows more than the name on a phone, a search or a filter is one
request, bulk actions answer in place and keep the selection, and the inbox accepts and rejects in
place with the focus on the next lead. No serious or critical axe violation on either page."""

import pytest
from playwright.sync_api import expect

from feedback.models import ReasonCode
from feedback.services import verdict_give
from leads.models import Lead, LeadStatus
from leads.services import lead_hand_off
from tests.alignment.factories import MarketerFactory, RepFactory
from tests.e2e.conftest import login, wait_until
from tests.e2e.test_accessibility import AXE, RUN_AXE
from tests.feedback.factories import accepted_lead
from tests.leads.factories import CampaignFactory, LeadFactory, RoutingRuleFactory

pytestmark = pytest.mark.e2e

WIDTHS = [1280, 390]


def _page_at(browser, width):
    # axe is added as an inline script, which the pages' policy refuses: this context bypasses it.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    context.set_default_timeout(10_000)
    return context, context.new_page()


def _no_sideways_scroll(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def _axe(page):
    page.add_script_tag(path=AXE)
    return page.evaluate(RUN_AXE)


def _count_requests(page, path):
    """The list of GET requests the page sends to `path` from now on."""
    sent = []
    page.on("request", lambda request: sent.append(request.url) if path in request.url else None)
    return sent


def _long_leads(marketer, rep):
    campaign = CampaignFactory(owner=marketer, name="Spring webinar series for finance leaders 2026")
    for i in range(6):
        lead = LeadFactory(
            campaign=campaign,
            captured_by=marketer,
            name=f"Maximiliane Alexandra Bartholomew-Featherstonehaugh {i}",
            email=f"maximiliane.featherstonehaugh{i}@international-holdings.test",
            company=f"International Consolidated Holdings and Subsidiaries GmbH & Co. KG {i}",
            estimated_value=1_250_000,
            score=0.2 + i / 10,
        )
        if i % 2:
            lead_hand_off(lead=lead, rep=rep, note="Asked for a demo.", by=marketer)
    return campaign


@pytest.mark.parametrize("width", WIDTHS)
def test_the_lead_list_fits_and_each_search_or_filter_is_one_request(browser, transactional_db, live_server, width):
    marketer = MarketerFactory(username="mia", first_name="Mia", last_name="Marketing")
    rep = RepFactory(username="sam", first_name="Samuel-Alexander", last_name="Salesworthington")
    _long_leads(marketer, rep)
    context, page = _page_at(browser, width)
    try:
        login(page, live_server, "mia")
        page.goto(f"{live_server.url}/leads/")
        rows = page.get_by_test_id("lead-row")
        expect(rows).to_have_count(6)
        # then: no sideways scroll, and the captured date (the last column) and the status on screen
        assert _no_sideways_scroll(page)
        assert page.evaluate("document.querySelector('.lead-table').getBoundingClientRect().right") <= width
        first = rows.first
        for cell in ("time", ".status", "[data-testid=score-chip]"):
            box = first.locator(cell).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, f"{cell} is off screen: {box}"
        if width == 390:  # on a phone more than the name: status, owner and company show too
            expect(first.locator(".lead-company")).to_be_visible()
            expect(first.locator(".lead-owner")).to_be_visible()
        assert _axe(page) == []

        # when: a search sent with Enter, then with the button, then a list's choice
        sent = _count_requests(page, "/leads/?")
        page.get_by_label("Search").fill("Featherstonehaugh 3")
        page.get_by_label("Search").press("Enter")
        expect(rows).to_have_count(1)
        page.wait_for_timeout(300)
        assert len(sent) == 1, sent
        page.get_by_label("Search").fill("Featherstonehaugh")
        page.get_by_role("button", name="Filter").click()
        expect(rows).to_have_count(6)
        page.wait_for_timeout(300)
        assert len(sent) == 2, sent
        page.get_by_label("Sort").select_option("-score")
        expect(rows.first).to_contain_text("Featherstonehaugh 5")
        expect(rows.first.get_by_test_id("score-chip")).to_have_text("High · 70 %")
        page.wait_for_timeout(300)
        assert len(sent) == 3, sent
        wait_until(page, "location.search.includes('ordering=-score')")
    finally:
        context.close()


def test_the_feedback_queue_search_is_one_request(browser, transactional_db, live_server):
    marketer = MarketerFactory(username="mia")
    rep = RepFactory(username="sam")
    ReasonCode.objects.get_or_create(code="no_budget", defaults={"label": "No budget", "position": 30})
    for name in ("Ada Lovelace", "Grace Hopper"):
        lead = accepted_lead(marketer=marketer, rep=rep, name=name)
        verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget", note="No.")
    context, page = _page_at(browser, 1280)
    try:
        login(page, live_server, "mia")
        page.goto(f"{live_server.url}/feedback/")
        rows = page.get_by_test_id("feedback-row")
        expect(rows).to_have_count(2)
        sent = _count_requests(page, "/feedback/?")
        page.get_by_label("Search").fill("grace")
        page.get_by_role("button", name="Filter").click()
        expect(rows).to_have_count(1)
        page.wait_for_timeout(300)
        assert len(sent) == 1, sent
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_bulk_hand_off_answers_in_place_and_keeps_the_selection(browser, transactional_db, live_server, width):
    marketer = MarketerFactory(username="mia")
    rep = RepFactory(username="sam", first_name="Sam", last_name="Sales")
    RoutingRuleFactory(name="All of Germany", country="DE", reps=[rep])
    campaign = CampaignFactory(owner=marketer, name="Fair")
    for name in ("Ada", "Grace", "Hedy"):
        LeadFactory(campaign=campaign, name=name, country="DE")
    context, page = _page_at(browser, width)
    try:
        login(page, live_server, "mia")
        page.goto(f"{live_server.url}/leads/?status=new")
        bar = page.locator("#bulk-form")
        # the bar shows only once a lead is ticked
        expect(bar).to_be_hidden()
        page.get_by_label("Select Ada").check()
        page.get_by_label("Select Grace").check()
        expect(bar).to_be_visible()
        expect(bar).to_contain_text("(2)")
        page.evaluate("window.__sameDocument = true")

        # when: a hand-off without a note
        page.get_by_test_id("bulk-action").select_option("hand_off")
        page.get_by_test_id("bulk-submit").click()

        # then: the error beside the note, the ticks and the filter as they were, nothing reloaded
        expect(page.get_by_test_id("bulk-note-error")).to_have_text("This field is required.")
        expect(page.get_by_test_id("bulk-note")).to_be_focused()
        assert page.get_by_label("Select Ada").is_checked() and page.get_by_label("Select Grace").is_checked()
        assert "status=new" in page.url
        assert page.evaluate("window.__sameDocument === true")
        assert set(Lead.objects.values_list("status", flat=True)) == {LeadStatus.NEW}
        assert _axe(page) == []

        # when: with the note, by the routing rules
        page.get_by_test_id("bulk-note").fill("Met them at the fair.")
        page.get_by_test_id("bulk-submit").click()

        # then: each result names the rep and the routing reason; the list shows what is left
        expect(page.get_by_test_id("bulk-summary")).to_have_text("2 done, 0 refused.")
        results = page.get_by_test_id("bulk-results")
        expect(results.get_by_test_id("bulk-result-rep")).to_have_text(["Sam Sales", "Sam Sales"])
        expect(results).to_contain_text("All of Germany")
        expect(page.get_by_test_id("lead-row")).to_have_count(1)
        expect(bar).to_be_hidden()
        assert page.evaluate("window.__sameDocument === true")
        assert _no_sideways_scroll(page)
        assert _axe(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_inbox_accepts_and_rejects_in_place_and_moves_on_to_the_next_lead(
    browser, transactional_db, live_server, width
):
    marketer = MarketerFactory(username="mia")
    rep = RepFactory(username="sam")
    ReasonCode.objects.get_or_create(code="no_budget", defaults={"label": "No budget", "position": 30})
    campaign = CampaignFactory(owner=marketer, name="Fair")
    leads = []
    for name in ("Ada", "Grace", "Hedy", "Joan"):
        lead = LeadFactory(campaign=campaign, name=name)
        lead_hand_off(lead=lead, rep=rep, note="Asked for a demo at the fair.\nBudget this quarter.", by=marketer)
        leads.append(lead)
    context, page = _page_at(browser, width)
    try:
        login(page, live_server, "sam")
        page.goto(f"{live_server.url}/")
        rows = page.locator("#awaiting article.inbox-item")
        expect(rows).to_have_count(4)
        expect(rows.first.get_by_test_id("sla-clock")).to_contain_text("left to answer")
        order = [int(value) for value in rows.evaluate_all("rows => rows.map(r => r.dataset.lead)")]
        second, third = order[1], order[2]
        page.evaluate("window.__sameDocument = true")
        row = page.locator(f"#inbox-item-{second}")
        row.scroll_into_view_if_needed()
        scrolled = page.evaluate("window.scrollY")

        # when: the second lead is accepted
        row.get_by_role("button", name="Accept").click()

        # then: that row says so, the page neither reloads nor jumps, the next lead has the focus
        expect(page.locator(f"#inbox-item-{second}")).to_contain_text("Accepted")
        assert page.evaluate("window.__sameDocument === true")
        expect(page.locator(f"#inbox-item-{third} [data-inbox-lead]")).to_be_focused()
        assert page.evaluate("window.scrollY") >= scrolled - 50 or scrolled == 0
        assert Lead.objects.get(pk=second).status == LeadStatus.ACCEPTED

        # when: the third is rejected without a reason, then with one
        third_row = page.locator(f"#inbox-item-{third}")
        third_row.get_by_text("Reject…").click()
        third_row.get_by_role("button", name="Reject", exact=True).click()
        assert Lead.objects.get(pk=third).status == LeadStatus.HANDED_OFF
        third_row.get_by_label("Reason").select_option(label="No budget")
        third_row.get_by_role("button", name="Reject", exact=True).click()
        expect(page.locator(f"#inbox-item-{third}")).to_contain_text("Rejected")
        expect(page.locator(f"#inbox-item-{order[3]} [data-inbox-lead]")).to_be_focused()
        assert page.evaluate("window.__sameDocument === true")
        assert Lead.objects.get(pk=third).status == LeadStatus.REJECTED
        assert _no_sideways_scroll(page)
        assert _axe(page) == []
    finally:
        context.close()
