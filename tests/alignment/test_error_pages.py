import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alignment.rest import csrf_failure
from leads.services import lead_hand_off
from tests.leads.factories import LeadFactory


def test_an_invisible_lead_page_is_a_friendly_404_with_the_way_home(client, rep):
    client.force_login(rep)

    response = client.get("/leads/999999/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Not found" in response.content
    assert b'href="/"' in response.content


def test_an_unknown_api_url_answers_in_the_api_error_shape(client, rep):
    client.force_login(rep)

    response = client.get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


# --- CSRF under /api/ ---------------------------------------------------------------------------


def test_a_token_post_to_an_unknown_api_url_is_the_json_404_not_the_csrf_page(marketer):
    token = Token.objects.create(user=marketer)
    client = APIClient(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.post("/api/nope/", {"a": 1}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_session_post_without_csrf_to_an_endpoint_is_a_json_403(marketer, campaign):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(marketer)

    response = client.post("/api/leads/", {"campaign": campaign.pk, "email": "c@x.test"}, format="json")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == "permission_denied" and "CSRF" in body["detail"]


def test_a_refused_csrf_check_answers_json_under_api_and_the_page_elsewhere(rf):
    api = csrf_failure(rf.post("/api/anything/"), reason="CSRF cookie not set.")
    page = csrf_failure(rf.post("/leads/new/"), reason="CSRF cookie not set.")

    assert api.status_code == 403 and api["Content-Type"] == "application/json"
    assert json.loads(api.content) == {"detail": "CSRF Failed: CSRF cookie not set.", "code": "permission_denied"}
    assert page.status_code == 403 and page["Content-Type"].startswith("text/html")


def test_a_browser_form_post_without_csrf_still_gets_the_page(client, marketer):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(marketer)

    response = csrf_client.post("/leads/new/", {"email": "f@x.test"})

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


# --- with DEBUG on (the demo) --------------------------------------------------------------------


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    settings.ALIGNMENT_DEBUG_PAGES = False
    return settings


def test_with_debug_on_another_reps_lead_is_the_product_404_not_djangos(debug_on, marketer, rep, other_rep):
    lead = LeadFactory()
    lead_hand_off(lead=lead, rep=other_rep, note="Theirs.", by=marketer)
    client = Client()
    client.force_login(rep)

    response = client.get(f"/leads/{lead.pk}/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Not found" in html and 'href="/"' in html
    assert "Technical response" not in html and "URLconf" not in html and "settings.py" not in html


def test_with_debug_on_an_unknown_url_is_the_product_404(debug_on, rep):
    client = Client()
    client.force_login(rep)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Not found" in response.content.decode() and "URLconf" not in response.content.decode()
    # The URLs still end in a slash for whoever forgets it.
    assert client.get("/leads").status_code == 301


def test_with_debug_on_a_crash_is_the_product_500_and_static_files_are_still_served(debug_on, rep, monkeypatch):
    def crash(**kwargs):
        raise RuntimeError("the database caught fire")

    monkeypatch.setattr("leads.selectors.lead_list_for_user", crash)
    client = Client(raise_request_exception=False)
    client.force_login(rep)

    response = client.get("/leads/")

    assert response.status_code == 500
    assert "the database caught fire" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert client.get("/static/favicon.svg").status_code == 200


def test_a_developer_who_asks_for_djangos_debug_pages_gets_them(debug_on, rep):
    debug_on.ALIGNMENT_DEBUG_PAGES = True
    client = Client()
    client.force_login(rep)

    response = client.get("/no-such-page/")

    assert response.status_code == 404 and "URLconf" in response.content.decode()


# --- a visit to a form's action -----------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_a_get_of_a_post_only_page_is_the_products_405_page(settings, client, rep, debug):
    settings.DEBUG = debug
    lead = LeadFactory()
    client.force_login(rep)

    response = client.get(f"/leads/{lead.pk}/accept/")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Not available this way" in page and "Nothing was changed" in page
    assert 'href="/"' in page


def test_the_apis_405_stays_json(marketer):
    token = Token.objects.create(user=marketer)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.delete("/api/leads/")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
