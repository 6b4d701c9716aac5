"""A form with errors in a real browser: a bad verdict without a reason, on a laptop and a phone,
with htmx and without JavaScript, keeps what was typed, shows the error beside the field and stays
in view; a form the server refuses shows the refusal. And the lead list's search field carries its
own focus ring.
"""

import pytest

from feedback.models import ReasonCode, Verdict
from leads.models import Lead
from leads.services import lead_hand_off
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.e2e.conftest import login
from tests.feedback.factories import accepted_lead
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.e2e

TIMEOUT = 30_000  # ms: generous for a machine busy with the whole browser suite, but bounded
SCREENS = {"laptop": (1280, 900), "phone": (390, 844)}


@pytest.fixture
def open_page(browser, transactional_db):
    """Opens a page at a size, with or without JavaScript; closes its context after the test."""
    contexts = []

    def open_(*, width, height, javascript=True):
        context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=javascript)
        context.set_default_timeout(TIMEOUT)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
@pytest.mark.parametrize("screen", SCREENS)
def test_a_bad_verdict_without_a_reason_keeps_the_text_beside_the_error_and_in_view(
    open_page, live_server, screen, javascript
):
    from playwright.sync_api import expect

    width, height = SCREENS[screen]
    page = open_page(width=width, height=height, javascript=javascript)
    rep = RepFactory(username="sam")
    lead = accepted_lead(marketer=MarketerFactory(), rep=rep, name="Ada Lovelace", notes="A long story. " * 80)
    # A browser test before this one empties the tables, the default reason codes with them.
    ReasonCode.objects.get_or_create(code="no_budget", defaults={"label": "No budget", "position": 30})
    login(page, live_server, "sam")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")

    form = page.locator(f"#verdict-form-{lead.pk}")
    form.get_by_label("Bad").check()
    form.get_by_label("Note").fill("Budget frozen until Q3.")
    button = form.get_by_role("button", name="Save verdict")
    if javascript:
        button.click()
    else:
        with page.expect_navigation(wait_until="load"):
            button.click()

    error = page.locator(f"#id_verdict_{lead.pk}_reason_errors")
    expect(error).to_be_visible()
    form = page.locator(f"#verdict-form-{lead.pk}")
    expect(form.get_by_label("Note")).to_have_value("Budget frozen until Q3.")
    expect(form.get_by_label("Bad")).to_be_checked()
    # Beside the field: in the reason's own block, right under its select.
    assert error.evaluate("e => e.closest('.field').querySelector('select').id") == f"id_verdict_{lead.pk}_reason"
    box = form.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)
    assert box["height"] > 300  # the whole form, not a sliver of it
    assert not Verdict.objects.exists()


def test_the_lead_list_search_field_not_the_filter_row_gets_the_focus_ring(open_page, live_server):
    MarketerFactory(username="mia")
    page = open_page(width=1280, height=900)
    login(page, live_server, "mia")
    page.goto(f"{live_server.url}/leads/")

    page.get_by_label("Search").focus()

    row = page.locator("form.filters").evaluate("e => getComputedStyle(e).boxShadow")
    field = page.get_by_label("Search").evaluate("e => getComputedStyle(e).boxShadow")
    assert row == "none"
    assert field != "none"


def test_a_form_the_server_refuses_shows_the_refusal_not_nothing(open_page, live_server):
    from playwright.sync_api import expect

    marketer, rep = MarketerFactory(), RepFactory(username="sam")
    lead = LeadFactory(captured_by=marketer, name="Ada Lovelace")
    lead_hand_off(lead=lead, rep=rep, note="Met at the fair.", by=marketer)
    page = open_page(width=1280, height=900)
    login(page, live_server, "sam")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    # Meanwhile the lead goes to another rep: accepting it is no longer this rep's to do.
    lead_hand_off(lead=Lead.objects.get(pk=lead.pk), rep=RepFactory(), note="Reassigned.", by=ManagerFactory())

    with page.expect_navigation(wait_until="load"):
        page.locator(f"#accept-form-{lead.pk}").get_by_role("button", name="Accept").click()

    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert Lead.objects.get(pk=lead.pk).accepted_at is None
