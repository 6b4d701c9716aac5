"""The Content-Security-Policy in a real Chromium: every main page, for every role, loads without
a single violation, and the API docs (Swagger UI) still render under it."""

import pytest

from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.e2e.conftest import login, logout, wait_until
from tests.feedback.factories import accepted_lead

pytestmark = pytest.mark.e2e

# Collects every violation the page reports, from the first script on (before ours run).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def watched_page(page):
    """The page, with every console message, page error and CSP violation recorded."""
    page.console_messages = []
    page.page_errors = []
    page.on("console", lambda message: page.console_messages.append(message.text))
    page.on("pageerror", lambda error: page.page_errors.append(str(error)))
    page.context.add_init_script(RECORD_VIOLATIONS)
    return page


def visit(page, url):
    page.goto(url)
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__cspViolations")
    csp_messages = [text for text in page.console_messages if "Content Security Policy" in text]
    assert violations == [], f"{url}: {violations}"
    assert csp_messages == [], f"{url}: {csp_messages}"
    assert page.page_errors == [], f"{url}: {page.page_errors}"


def test_the_main_pages_load_without_a_csp_violation_for_every_role(watched_page, live_server):
    marketer, rep, manager = MarketerFactory(), RepFactory(), ManagerFactory()
    lead = accepted_lead(marketer=marketer, rep=rep)
    base = live_server.url

    visit(watched_page, f"{base}/accounts/login/")
    for user in (marketer, rep, manager):
        login(watched_page, live_server, user.username)
        for path in ("/", "/leads/", f"/leads/{lead.pk}/", "/feedback/", "/dashboard/"):
            visit(watched_page, base + path)
        if user is manager:
            # The charts are drawn under the policy too.
            wait_until(watched_page, "document.getElementById('chart-funnel').height > 0")
        logout(watched_page)


def test_the_api_docs_render_under_the_policy(watched_page, live_server):
    visit(watched_page, f"{live_server.url}/api/docs/")

    watched_page.locator(".swagger-ui .info .title").filter(has_text="Alignment API").wait_for()
    watched_page.locator(".opblock-summary-path[data-path='/api/leads/']").first.wait_for()
    assert watched_page.evaluate("window.__cspViolations") == []
    assert [text for text in watched_page.console_messages if "Content Security Policy" in text] == []
