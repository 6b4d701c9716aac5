"""The lead score in a real Chromium: the rep's inbox puts the best score first, a lead's page
explains its score, the manager's model page draws its charts; no serious or critical axe-core
violation on any of them, at a laptop's and a phone's width."""

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.models import Handoff, Lead
from scoring.services import scoring_train
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.e2e.conftest import login, wait_until
from tests.e2e.test_accessibility import AXE, RUN_AXE
from tests.leads.factories import CampaignFactory
from tests.scoring.factories import judged_leads

pytestmark = pytest.mark.e2e


@pytest.fixture
def scored(transactional_db):
    marketer, rep, manager = MarketerFactory(), RepFactory(), ManagerFactory()
    campaigns = [
        CampaignFactory(owner=marketer, name="Webinar Q3", source="webinar"),
        CampaignFactory(owner=marketer, name="Trade fair", source="event"),
        CampaignFactory(owner=marketer, name="Paid search", source="paid_search"),
    ]
    leads = judged_leads(count=300, unjudged=3, campaigns=campaigns, rep=rep, marketer=marketer)
    scoring_train()
    waiting = leads[-3:]
    now = timezone.now()
    for lead in waiting:
        Handoff.objects.create(
            lead=lead, by=marketer, to_rep=rep, note="Story.", created_at=now, sla_due_at=now + timedelta(hours=20)
        )
    Lead.objects.filter(pk__in=[lead.pk for lead in waiting]).update(status="handed_off")
    by_score = sorted(Lead.objects.filter(pk__in=[lead.pk for lead in waiting]), key=lambda lead: -lead.score)
    return {"rep": rep, "manager": manager, "by_score": by_score}


def _axe(page):
    page.add_script_tag(path=AXE)
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_inbox_sorted_by_score_and_a_lead_explains_its_score(browser, live_server, scored, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, live_server, scored["rep"].username)

    # the inbox: the waiting leads, the best score first, each with its band and share
    items = page.locator("#awaiting article.inbox-item")
    assert [int(items.nth(i).get_attribute("data-lead")) for i in range(3)] == [lead.pk for lead in scored["by_score"]]
    best = scored["by_score"][0]
    assert f"{round(best.score * 100)} %" in items.first.get_by_test_id("score-chip").inner_text()
    assert _axe(page) == []

    # the lead page: the explanation loads in place
    items.first.get_by_role("link", name=str(best)).click()
    panel = page.get_by_test_id("lead-score")
    cohort = page.get_by_test_id("score-cohort")
    cohort.wait_for()
    assert "were judged good" in cohort.inner_text()
    assert "chance a rep judges this lead good" in panel.inner_text()
    assert panel.locator("table.score-factors tbody tr").count() >= 1
    assert _axe(page) == []
    assert errors == []
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_model_page_draws_the_reliability_diagram_and_the_learning_curve(browser, live_server, scored, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    login(page, live_server, scored["manager"].username)
    page.goto(f"{live_server.url}/scoring/")
    wait_until(page, "document.getElementById('chart-reliability').height > 0")
    wait_until(page, "document.getElementById('chart-learning').height > 0")
    assert page.get_by_test_id("scoring-metrics").locator("tbody tr").count() == 4
    assert _axe(page) == []
    context.close()
