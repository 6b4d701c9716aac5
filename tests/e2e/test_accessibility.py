"""Every page of the product, for each role that uses it, at a laptop's and a phone's width, has no
serious or critical accessibility violation as axe-core (vendored, test-only, in tests/e2e/vendor/)
finds them.

`add_script_tag(path=...)` inlines the file into the page, which the Content-Security-Policy's
script-src refuses (no nonce); the browser context of these tests therefore bypasses the policy.
The policy itself is tested, unbypassed, in test_security_headers.py.
"""

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from alignment.models import Notification, NotificationKind, WebhookEndpoint
from dashboard.models import GoalPeriod, RevenueGoal
from feedback.models import FeedbackItem, ReasonCode
from feedback.services import feedback_reply, feedback_request, verdict_give
from leads.models import ImportJob, ImportStatus
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.e2e.conftest import login, wait_until
from tests.feedback.factories import accepted_lead, handed_off_lead
from tests.leads.factories import CampaignFactory, LeadFactory

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
WIDTHS = (1280, 390)

# Runs axe on the whole document and keeps what a user is hurt by most, with where and why.
RUN_AXE = """async () => {
  const results = await axe.run(document, { resultTypes: ["violations"] });
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " -- " + n.failureSummary.replace(/\\s+/g, " ")),
    }));
}"""


@pytest.fixture
def world(transactional_db):
    """One of everything a page shows: leads in the states whose pages carry forms, a conversation,
    an import with bad rows, notifications, a webhook and a revenue goal."""
    marketer = MarketerFactory(username="mia", first_name="Mia", last_name="Marketing")
    rep = RepFactory(username="sam", first_name="Sam", last_name="Sales")
    manager = ManagerFactory(username="max", first_name="Max", last_name="Manager")
    for position, (code, label) in enumerate((("no_budget", "No budget"), ("spam", "Spam")), start=1):
        ReasonCode.objects.get_or_create(code=code, defaults={"label": label, "position": position * 10})
    campaign = CampaignFactory(owner=marketer, name="Spring webinar")
    new = LeadFactory(captured_by=marketer, campaign=campaign, name="Nora New", company="Fresh Ltd")
    handed = handed_off_lead(marketer=marketer, rep=rep, campaign=campaign, name="Hal Handed")
    accepted = accepted_lead(marketer=marketer, rep=rep, campaign=campaign, name="Ada Lovelace", company="Engines")
    judged = accepted_lead(marketer=marketer, rep=rep, campaign=campaign, name="Grace Hopper", company="Navy")
    verdict_give(
        lead=judged, by=rep, verdict="bad", reason="no_budget", note="Frozen budget.", pain_points="Slow reports."
    )
    item = FeedbackItem.objects.get(lead=judged)
    feedback_reply(item=item, by=marketer, body="Which budget line?")
    feedback_request(lead=accepted, by=marketer, note="How is it going?")
    job = ImportJob.objects.create(
        by=marketer,
        campaign=campaign,
        filename="fair.csv",
        status=ImportStatus.DONE,
        total_bytes=100,
        processed_bytes=100,
        rows_created=3,
        rows_failed=1,
        errors=[{"line": 3, "reason": "email: Enter a valid email address."}],
        header=["email", "name"],
        failed_rows=[{"line": 3, "values": ["not-an-email", "Bad Row"]}],
        finished_at=timezone.now(),
    )
    for person in (marketer, rep, manager):
        Notification.objects.create(
            recipient=person,
            kind=NotificationKind.REMINDER,
            lead=accepted,
            message="Ada Lovelace is going cold.",
            url=f"/leads/{accepted.pk}/",
        )
    WebhookEndpoint.objects.create(url="https://hooks.example.com/in", events=["*"], secret="s", created_by=manager)
    today = timezone.localdate()
    RevenueGoal.objects.create(
        period=GoalPeriod.MONTH,
        starts_on=today.replace(day=1),
        amount=Decimal("50000"),
        set_by=manager,
        set_at=timezone.now(),
    )
    return {
        "marketer": marketer,
        "rep": rep,
        "manager": manager,
        "new": new,
        "handed": handed,
        "accepted": accepted,
        "judged": judged,
        "item": item,
        "job": job,
    }


def _pages(world):
    """Per role (None: signed out), the pages that role opens."""
    new, handed, accepted, judged = world["new"].pk, world["handed"].pk, world["accepted"].pk, world["judged"].pk
    item, job, rep = world["item"].pk, world["job"].pk, world["rep"]
    uid = urlsafe_base64_encode(force_bytes(rep.pk))
    common = ["/", "/leads/", "/feedback/", f"/feedback/{item}/", "/notifications/", "/dashboard/"]
    return {
        None: [
            "/accounts/login/",
            "/accounts/password_reset/",
            "/accounts/password_reset/done/",
            f"/accounts/reset/{uid}/{default_token_generator.make_token(rep)}/",
            "/accounts/reset/done/",
            "/api/docs/",
        ],
        "mia": [
            *common,
            "/leads/new/",
            f"/leads/{new}/",
            f"/leads/{new}/edit/",
            f"/leads/{judged}/",
            "/leads/import/",
            f"/leads/import/{job}/",
            "/feedback/campaigns/",
            "/feedback/insights/",
            "/dashboard/digest/",
            "/accounts/password_change/",
            "/accounts/password_change/done/",
        ],
        "sam": [*common, f"/leads/{handed}/", f"/leads/{accepted}/"],
        "max": [
            *common,
            f"/leads/{accepted}/",
            "/feedback/reasons/",
            "/dashboard/digest/",
            "/dashboard/goal/",
            "/settings/sla/",
            "/settings/webhooks/",
            "/leads/routing-rules/",
        ],
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_has_no_serious_accessibility_violation(browser, world, live_server, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    found = {}
    try:
        for username, paths in _pages(world).items():
            if username:
                login(page, live_server, username)
            for path in paths:
                response = page.goto(live_server.url + path)
                assert response.ok, f"{username} {path}: {response.status}"
                page.wait_for_load_state("load")
                # Judge what the reader gets: the charts drawn, the API docs rendered.
                if path == "/dashboard/":
                    wait_until(page, "[...document.querySelectorAll('canvas')].every((c) => c.height > 0)")
                if path == "/api/docs/":
                    page.locator(".swagger-ui .info .title").wait_for()
                page.add_script_tag(path=AXE)
                violations = page.evaluate(RUN_AXE)
                if violations:
                    found[f"{username or 'signed out'} {path} @{width}px"] = violations
            if username:
                page.context.clear_cookies()
    finally:
        context.close()

    report = "\n".join(
        f"{where}\n"
        + "\n".join(f"  [{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in vs)
        for where, vs in found.items()
    )
    assert not found, f"Serious or critical accessibility violations:\n{report}"
