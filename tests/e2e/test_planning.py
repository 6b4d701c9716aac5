"""Sales shaping the next campaign, in a real browser at a laptop's and a phone's width: a rep files
a campaign request from a lead, marketing triages and delivers it, launches a mini-campaign from
the plan, and the weekly meeting records a decision and an action item that carries over. Every
page on the way has no serious or critical axe-core violation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alignment.models import Territory
from planning.meetings import action_item_create, meeting_get_or_create
from planning.models import ActionItem, CampaignRequest, MeetingItem
from tests.alignment.factories import MarketerFactory, RepFactory, VerticalFactory
from tests.e2e.conftest import login
from tests.e2e.test_accessibility import AXE, RUN_AXE, WIDTHS
from tests.feedback.factories import accepted_lead

pytestmark = pytest.mark.e2e


def _axe(page, where, found):
    page.add_script_tag(path=AXE)
    violations = page.evaluate(RUN_AXE)
    if violations:
        found[where] = violations


def _submit(page, locator):
    with page.expect_navigation(wait_until="load"):
        locator.click()


@pytest.mark.parametrize("width", WIDTHS)
def test_request_triage_plan_and_meeting(browser, transactional_db, live_server, width):
    from feedback.models import PainTheme

    # A browser test before this one empties the tables, the seeded themes with them.
    for n, code in enumerate(("price", "integration", "reporting")):
        PainTheme.objects.get_or_create(code=code, defaults={"label": code.title(), "position": n})
    retail = VerticalFactory(name="Retail")
    marketer = MarketerFactory(username="mia", first_name="Mia", last_name="Marketing")
    rep = RepFactory(username="sam", first_name="Sam", last_name="Sales")
    rep.verticals.add(retail)
    rep.territories.add(Territory.objects.create(country="DE", region="Bavaria"))
    lead = accepted_lead(marketer=marketer, rep=rep, industry=retail, country="DE", region="Bavaria")
    last_week = meeting_get_or_create(week=timezone.localdate() - timedelta(days=7))
    action_item_create(
        by=marketer, title="Call the chains back", owner=rep, due=timezone.localdate(), meeting=last_week
    )

    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    found = {}
    try:
        # The rep files a request from the lead page: the lead's segment is filled in.
        login(page, live_server, "sam")
        page.goto(f"{live_server.url}/leads/{lead.pk}/")
        _submit(page, page.get_by_test_id("lead-file-request"))
        assert page.locator("#id_territory").input_value() == "DE/Bavaria"
        _axe(page, "request form", found)
        page.locator("#id_title").fill("Bavarian chains: POS integration")
        page.get_by_label("Integration").check()
        page.locator("#id_goal_leads").fill("25")
        page.locator("#id_needed_by").fill((timezone.localdate() + timedelta(days=30)).isoformat())
        _submit(page, page.get_by_role("button", name="File the request"))
        assert page.get_by_test_id("evidence").is_visible()
        _axe(page, "request page (rep)", found)
        request = CampaignRequest.objects.get()
        context.clear_cookies()

        # Marketing triages from its queue, and delivers as a new campaign.
        login(page, live_server, "mia")
        page.goto(f"{live_server.url}/requests/?status=new")
        assert page.get_by_test_id("untriaged-age").count() == 1
        _axe(page, "requests queue", found)
        _submit(page, page.get_by_role("link", name="Bavarian chains: POS integration"))
        _submit(page, page.get_by_test_id("accept-form").get_by_role("button"))
        _submit(page, page.get_by_test_id("start-form").get_by_role("button"))
        _submit(page, page.get_by_test_id("new-campaign-for-request"))
        _axe(page, "new campaign", found)
        page.locator("#id_name").fill("Bavarian retail – POS")
        _submit(page, page.get_by_role("button", name="Make the campaign"))
        request.refresh_from_db()
        assert request.status == "delivered"
        assert page.get_by_test_id("outcome").is_visible()

        # The plan: the rep's segment is served now; nothing else to launch but what is offered.
        page.goto(f"{live_server.url}/campaigns/plan/")
        _axe(page, "plan", found)
        assert page.get_by_test_id("served").count() == 1

        # The meeting: last week's open action item carried over; a decision and an action item.
        page.goto(f"{live_server.url}/meetings/current/")
        page.wait_for_load_state("load")
        assert "Call the chains back" in page.get_by_test_id("agenda-carried-over").inner_text()
        page.locator("#item-kind").select_option("decision")
        page.locator("#item-text").fill("A POS webinar for Bavaria in March")
        _submit(page, page.get_by_test_id("meeting-item-form").get_by_role("button"))
        page.locator("#ai-title").fill("Draft the webinar brief")
        page.locator("#ai-owner").select_option(str(marketer.pk))
        page.locator("#ai-due").fill(timezone.localdate().isoformat())
        _submit(page, page.get_by_role("button", name="Add the action item"))
        assert "Draft the webinar brief" in page.get_by_test_id("agenda-action-items").inner_text()
        _axe(page, "meeting", found)
    finally:
        context.close()

    assert MeetingItem.objects.filter(kind="decision").count() == 1
    assert ActionItem.objects.filter(title="Draft the webinar brief", owner=marketer).exists()
    report = "\n".join(f"{where}: {vs}" for where, vs in found.items())
    assert not found, f"Serious or critical accessibility violations at {width}px:\n{report}"


@pytest.mark.parametrize("width", WIDTHS)
def test_marketing_launches_a_mini_campaign_from_the_plan(browser, transactional_db, live_server, width):
    from leads.models import Campaign
    from planning.models import CampaignSegment

    retail = VerticalFactory(name="Retail")
    MarketerFactory(username="mia", first_name="Mia", last_name="Marketing")
    rep = RepFactory(username="sam", first_name="Sam", last_name="Sales")
    rep.verticals.add(retail)
    rep.territories.add(Territory.objects.create(country="AT", region=""))

    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    found = {}
    try:
        login(page, live_server, "mia")
        page.goto(f"{live_server.url}/campaigns/plan/")
        _axe(page, "plan before launching", found)
        assert page.get_by_test_id("served").count() == 0
        _submit(page, page.get_by_test_id("launch-one").first)
        assert "Launched" in page.content()
        # The segment is served now, by the campaign just made.
        served = page.get_by_test_id("served")
        assert served.count() == 1
        served_text = served.inner_text()
        _axe(page, "plan after launching", found)
    finally:
        context.close()

    segment = CampaignSegment.objects.select_related("campaign").get(vertical=retail, country="AT")
    assert segment.rep == rep and segment.campaign.active
    assert Campaign.objects.filter(pk=segment.campaign_id).count() == 1
    assert segment.campaign.name in served_text
    report = "\n".join(f"{where}: {vs}" for where, vs in found.items())
    assert not found, f"Serious or critical accessibility violations at {width}px:\n{report}"
