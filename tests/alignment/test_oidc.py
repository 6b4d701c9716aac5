"""Single sign-on against a real OpenID Connect provider (tests/oidc_provider, in a subprocess).

Django's test client plays Alignment's side; a `requests` session plays the person's browser at the
provider (its login form, the authorization), up to the redirect back to Alignment's callback. The
whole dance in a real browser is in tests/e2e/test_single_sign_on.py.
"""

from datetime import timedelta
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from alignment.models import Role, User
from tests.alignment.factories import ManagerFactory, RepFactory
from tests.oidc_provider.serve import PASSWORD

pytestmark = pytest.mark.django_db


def _to_provider(client, next_url=None):
    """Start a sign-in at Alignment: the URL of the provider it sends the browser to."""
    response = client.get(reverse("oidc_authentication_init"), {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.content
    return response["Location"]


def _provider_sign_in(authorize_url, username):
    """Sign in at the provider as `username` and follow its redirects up to Alignment's callback:
    the callback's path and query, as the browser would request them."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(6):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200:
            # the provider's login form
            response = browser.post(
                url,
                {
                    "username": username,
                    "password": PASSWORD,
                    "csrfmiddlewaretoken": browser.cookies["provider_csrftoken"],
                    "next": parse_qs(urlsplit(url).query)["next"][0],
                },
                allow_redirects=False,
                timeout=10,
            )
        assert response.status_code == 302, response.text
        url = urljoin(url, response.headers["Location"])
        if url.startswith("http://testserver/"):
            parts = urlsplit(url)
            return f"{parts.path}?{parts.query}"
    raise AssertionError(f"The provider never sent the browser back to Alignment (last: {url})")


def _sign_in(client, username, next_url=None):
    return client.get(_provider_sign_in(_to_provider(client, next_url), username))


def _signed_in_as(client):
    me = client.get("/api/me/")
    return me.json()["username"] if me.status_code == 200 else None


def test_sign_on_signs_in_the_account_with_the_verified_email_in_any_case(client, sso):
    # given: the provider's ada@example.com is a rep here, with the email in other case
    rep = RepFactory(email="Ada@Example.COM")

    # when
    response = _sign_in(client, "ada")

    # then: back on the rep's home, signed in as that rep
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:home")
    assert _signed_in_as(client) == rep.username
    assert b"Inbox" in client.get(reverse("dashboard:home")).content


def test_sign_on_returns_to_the_page_asked_for(client, sso):
    RepFactory(email="ada@example.com")

    response = _sign_in(client, "ada", next_url="/leads/")

    assert response.status_code == 302 and response["Location"] == "/leads/"


def test_sign_on_refuses_an_unknown_email_without_creating_an_account(client, sso):
    response = _sign_in(client, "newbie")

    assert response.status_code == 403
    assert b"No Alignment account for newbie@example.com; ask a manager to add you." in response.content
    assert not User.objects.filter(email__iexact="newbie@example.com").exists()
    assert _signed_in_as(client) is None


def test_sign_on_creates_an_unknown_user_with_the_claimed_role(client, sso, settings):
    settings.OIDC_CREATE_USERS = True
    settings.OIDC_ROLE_CLAIM = "alignment_role"
    settings.OIDC_DEFAULT_ROLE = "marketer"

    response = _sign_in(client, "newbie")

    assert response.status_code == 302
    user = User.objects.get(email="newbie@example.com")
    assert (user.username, user.role, user.has_usable_password()) == ("newbie@example.com", Role.REP, False)
    assert _signed_in_as(client) == "newbie@example.com"


def test_sign_on_creates_a_user_with_the_role_found_in_a_list_claim(client, sso, settings):
    settings.OIDC_CREATE_USERS = True
    settings.OIDC_ROLE_CLAIM = "groups"

    _sign_in(client, "newbie")

    assert User.objects.get(email="newbie@example.com").role == Role.REP


def test_sign_on_creates_a_user_without_a_role_claim_with_the_default_role(client, sso, settings):
    settings.OIDC_CREATE_USERS = True
    settings.OIDC_ROLE_CLAIM = "alignment_role"
    settings.OIDC_DEFAULT_ROLE = "marketer"

    _sign_in(client, "plain")

    assert User.objects.get(email="plain@example.com").role == Role.MARKETER


def test_sign_on_refuses_to_create_a_user_without_any_role(client, sso, settings):
    settings.OIDC_CREATE_USERS = True
    settings.OIDC_ROLE_CLAIM = "alignment_role"

    response = _sign_in(client, "plain")

    assert response.status_code == 403
    assert b"Example Corp gives plain@example.com no role; ask a manager to add you." in response.content
    assert not User.objects.filter(email="plain@example.com").exists()


def test_sign_on_refuses_to_create_a_user_whose_email_is_too_long_for_a_username(client, sso, settings):
    settings.OIDC_CREATE_USERS = True
    settings.OIDC_ROLE_CLAIM = "alignment_role"

    response = _sign_in(client, "long")

    assert response.status_code == 403 and b"is too long for an Alignment account" in response.content
    assert not User.objects.filter(email__endswith="@example.com").exists()


def test_sign_on_refuses_an_unverified_email_even_for_an_existing_account(client, sso):
    RepFactory(email="unverified@example.com")

    response = _sign_in(client, "unverified")

    assert response.status_code == 403
    assert b"has not verified the email address unverified@example.com" in response.content
    assert _signed_in_as(client) is None


def test_sign_on_refuses_a_deactivated_account(client, sso):
    RepFactory(email="ada@example.com", is_active=False)

    response = _sign_in(client, "ada")

    assert response.status_code == 403
    assert b"deactivated" in response.content
    assert _signed_in_as(client) is None


def test_sign_on_session_ends_when_the_account_is_deactivated(client, sso):
    rep = RepFactory(email="ada@example.com")
    _sign_in(client, "ada")
    assert client.get(reverse("dashboard:home")).status_code == 200

    rep.is_active = False
    rep.save(update_fields=["is_active"])

    assert _signed_in_as(client) is None
    assert client.get(reverse("dashboard:home")).status_code == 302


def test_sign_on_refuses_a_locked_out_account(client, sso, settings):
    # given: the account was locked by failed passwords from another address
    settings.AXES_FAILURE_LIMIT = 2
    rep = RepFactory(email="ada@example.com")
    for _ in range(2):
        client.post(reverse("login"), {"username": rep.username, "password": "wrong"}, REMOTE_ADDR="10.0.0.7")

    # when
    response = _sign_in(client, "ada")

    # then: the lockout page, as at the password login
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert _signed_in_as(client) is None


def test_sign_on_refuses_a_forged_state(client, sso):
    RepFactory(email="ada@example.com")
    callback = _provider_sign_in(_to_provider(client), "ada")
    forged = callback.replace("state=", "state=forged")

    response = client.get(forged)

    assert response.status_code == 400
    assert b"This sign-in is not valid" in response.content
    assert _signed_in_as(client) is None


def test_sign_on_refuses_an_id_token_from_another_issuer(client, sso):
    # given: the discovery document Alignment holds names another issuer than the one signing
    RepFactory(email="ada@example.com")
    callback = _provider_sign_in(_to_provider(client), "ada")
    key = f"oidc-discovery:{sso.issuer}"
    cache.set(key, {**cache.get(key), "issuer": "https://login.elsewhere.example"})

    # when
    response = client.get(callback)

    # then
    assert response.status_code == 400
    assert _signed_in_as(client) is None


def test_sign_on_refuses_a_replayed_callback(client, sso):
    # given: a sign-in that worked, then a logout
    RepFactory(email="ada@example.com")
    callback = _provider_sign_in(_to_provider(client), "ada")
    assert client.get(callback).status_code == 302
    client.post(reverse("logout"))

    # when: the same callback (code and state) again, in that browser and in another
    again = client.get(callback)
    elsewhere = Client().get(callback)

    # then: neither signs in
    assert again.status_code == 403 and elsewhere.status_code == 403
    assert b"did not work: start again" in again.content
    assert _signed_in_as(client) is None


def test_sign_on_session_ends_when_idle(client, sso, settings):
    settings.ALIGNMENT_SESSION_IDLE_MINUTES = 30
    RepFactory(email="ada@example.com")
    _sign_in(client, "ada")
    start = timezone.now()

    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        idle = client.get(reverse("dashboard:home"))

    assert idle.status_code == 302 and reverse("login") in idle["Location"]


def test_sign_on_reads_the_discovery_document_once(client, sso, monkeypatch):
    fetched = []
    real_get = requests.get

    def get(url, *args, **kwargs):
        fetched.append(url)
        return real_get(url, *args, **kwargs)

    monkeypatch.setattr(requests, "get", get)
    for _ in range(2):
        _to_provider(client)

    assert fetched == [f"{sso.issuer}/.well-known/openid-configuration"]


def test_sign_on_with_the_provider_unreachable_shows_an_error_page(client, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/o"
    settings.OIDC_RP_CLIENT_ID = "alignment"
    settings.OIDC_RP_CLIENT_SECRET = "secret"

    response = client.get(reverse("oidc_authentication_init"))

    assert response.status_code == 503
    assert b"single sign-on cannot be reached right now" in response.content


def test_sign_on_is_not_offered_unless_configured(client):
    page = client.get(reverse("login"))

    assert b"Sign in with" not in page.content and b'name="password"' in page.content
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"}).status_code == 404


def test_login_page_offers_sign_on_beside_the_password_form(client, sso):
    page = client.get(reverse("login"), {"next": "/leads/"})

    assert b'href="/oidc/authenticate/?next=/leads/">Sign in with Example Corp</a>' in page.content
    assert b'name="password"' in page.content


def test_password_login_off_hides_the_form_and_refuses_passwords_everywhere(client, sso, settings):
    # given
    settings.ALIGNMENT_PASSWORD_LOGIN = False
    manager = ManagerFactory(is_staff=True, is_superuser=True)
    credentials = {"username": manager.username, "password": "pw"}

    # when / then: the login page offers single sign-on only
    page = client.get(reverse("login"))
    assert b"Sign in with Example Corp" in page.content and b'name="password"' not in page.content
    # the right password is refused at the login page, the admin's and the token endpoint
    refused = client.post(reverse("login"), credentials)
    assert refused.status_code == 403 and b"Password login is turned off here" in refused.content
    admin = client.post("/admin/login/?next=/admin/", {**credentials, "next": "/admin/"})
    assert admin.status_code == 403
    token = APIClient().post("/api/auth/token/", credentials, format="json")
    assert token.status_code == 403 and token.json()["code"] == "password_login_disabled"
    assert _signed_in_as(client) is None
    # the admin's login page is the site's, with the way back to the admin
    assert b"/oidc/authenticate/?next=/admin/" in client.get("/admin/login/?next=/admin/").content
