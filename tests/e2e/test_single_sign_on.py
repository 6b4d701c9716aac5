"""Single sign-on in a real Chromium: Alignment's login page, the test provider's own login form
(tests/oidc_provider, another origin), and back to Alignment signed in on the right home."""

import pytest

from tests.alignment.factories import ManagerFactory, RepFactory
from tests.oidc_provider.serve import PASSWORD

pytestmark = pytest.mark.e2e


def sign_in_at_provider(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Example Corp").click()
    page.get_by_label("Corporate username").fill(username)
    page.get_by_label("Corporate password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in to Example Corp").click()
    # Redirects are not pages: the first page back at Alignment is the home or the refusal.
    page.wait_for_url(lambda url: url.startswith(live_server.url))


def test_sign_on_brings_a_rep_back_signed_in_on_the_inbox(page, live_server, sso):
    # given: the provider's ada@example.com is a rep here
    rep = RepFactory(email="ada@example.com", first_name="Ada")
    page.goto(f"{live_server.url}/accounts/login/")
    # the password form is there too
    assert page.get_by_label("Password").is_visible()

    # when
    sign_in_at_provider(page, live_server, "ada")

    # then
    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("heading", name="Inbox").is_visible()
    assert page.get_by_text(rep.display_name).first.is_visible()


def test_sign_on_with_password_login_off_brings_a_manager_to_the_queue(page, live_server, sso, settings):
    # given
    settings.ALIGNMENT_PASSWORD_LOGIN = False
    ManagerFactory(email="ada@example.com")
    page.goto(f"{live_server.url}/accounts/login/")

    # then: no password form, only the way to the provider
    assert page.get_by_label("Password").count() == 0
    assert page.get_by_role("button", name="Log in").count() == 0

    # when
    sign_in_at_provider(page, live_server, "ada")

    # then
    assert page.get_by_role("heading", name="Managers' queue").is_visible()


def test_sign_on_of_an_unknown_person_is_refused_with_a_clear_page(page, live_server, sso):
    sign_in_at_provider(page, live_server, "newbie")

    assert page.url.startswith(f"{live_server.url}/oidc/callback/?")
    assert page.get_by_role("heading", name="You are not signed in").is_visible()
    assert page.get_by_text("No Alignment account for newbie@example.com; ask a manager to add you.").is_visible()
