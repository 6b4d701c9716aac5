"""Real-browser fixtures: a headless Debian Chromium driven by Playwright against a live server.

Without Chromium or the playwright package these tests skip locally; with
ALIGNMENT_REQUIRE_SERVICES=1 (as in CI) they fail instead, so a broken setup cannot pass unseen.
"""

import os
import shutil

import pytest

from tests.unavailable import service_unavailable

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread
# with a running loop unless told that this is fine, which it is for a test body.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("ALIGNMENT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_unavailable("the playwright package is not installed")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        service_unavailable(f"Chromium not found at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, transactional_db):
    """A fresh browser context (own cookies) per test, laptop-sized; fails fast instead of hanging."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def login(page, live_server, username, password="pw"):
    """Log in through the real form and wait until the home page has loaded."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def logout(page):
    """Log out from the account menu (its entry is the person's first name)."""
    button = page.get_by_role("button", name="Log out")
    if not button.is_visible():
        page.locator("[data-testid=user-menu] > summary").click()
    button.click()
    page.wait_for_url(lambda url: "/accounts/login/" in url)
    return page


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Wait until a JavaScript expression is true in the page. Playwright's `wait_for_function`
    polls through `eval`, which the pages' Content-Security-Policy forbids; `evaluate` does not."""
    import time

    deadline = time.monotonic() + timeout
    # Not yet true, or not yet evaluable (a chart not drawn yet): keep waiting.
    while not page.evaluate(f"() => {{ try {{ return Boolean({expression}); }} catch (e) {{ return false; }} }}"):
        if time.monotonic() > deadline:
            raise AssertionError(f"Still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)
