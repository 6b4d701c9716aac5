import base64
import re

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.db.utils import OperationalError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alignment.celery import app as celery_app
from leads.models import Lead
from tests.alignment.factories import ManagerFactory


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


# --- the token ----------------------------------------------------------------------------------


def test_a_token_from_username_and_password_authenticates_api_calls(marketer, campaign):
    client = APIClient()

    response = client.post("/api/auth/token/", {"username": marketer.username, "password": "pw"}, format="json")

    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=marketer).key
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/leads/").status_code == 200
    created = client.post("/api/leads/", {"campaign": campaign.id, "email": "t@x.test"}, format="json")
    assert created.status_code == 201


def test_the_token_endpoint_accepts_form_posts(marketer):
    response = APIClient().post("/api/auth/token/", {"username": marketer.username, "password": "pw"})

    assert response.status_code == 200
    assert response.json()["token"]


@pytest.mark.parametrize(
    "body",
    [
        {"username": "nobody", "password": "pw"},
        {"username": "marketer-x", "password": "wrong"},
        {"username": "marketer-x"},
        {"username": "marketer-x", "password": "pw", "role": "manager"},
        {"username": ["a"], "password": "pw"},
    ],
)
def test_bad_credentials_are_a_400_with_the_error_shape(db, body):
    from tests.alignment.factories import MarketerFactory

    MarketerFactory(username="marketer-x")

    response = APIClient().post("/api/auth/token/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["detail"]
    assert not Token.objects.exists()


def test_a_wrong_token_is_refused(db):
    client = APIClient(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get("/api/leads/")

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "authentication_failed"


def test_the_token_endpoint_is_throttled(db, monkeypatch):
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "token", "2/minute")
    client = APIClient()

    answers = [
        client.post("/api/auth/token/", {"username": "x", "password": "y"}, format="json").status_code for _ in range(3)
    ]

    assert answers == [400, 400, 429]


# --- the browser's session ----------------------------------------------------------------------

CSRF_SECRET = "a" * 32


def test_a_session_write_needs_the_csrf_token(marketer, campaign):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(marketer)
    client.cookies["csrftoken"] = CSRF_SECRET
    body = {"campaign": campaign.id, "email": "s@x.test"}

    refused = client.post("/api/leads/", body, format="json")
    accepted = client.post("/api/leads/", body, format="json", HTTP_X_CSRFTOKEN=CSRF_SECRET)

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201
    assert Lead.objects.count() == 1


def test_a_session_read_needs_no_csrf_token(marketer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(marketer)

    assert client.get("/api/leads/").status_code == 200


# --- health -------------------------------------------------------------------------------------


def test_healthz_reports_the_database_and_the_broker(db):
    response = APIClient().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_healthz_says_when_the_broker_is_unavailable_and_stays_200(db, settings, monkeypatch):
    closed = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_URL = closed
    # The Celery app read its configuration from settings once; point it at the closed port too.
    monkeypatch.setitem(celery_app.conf, "broker_url", closed)
    monkeypatch.setitem(celery_app.conf, "broker_write_url", closed)

    response = APIClient().get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "unavailable"}


def test_healthz_is_503_when_the_database_does_not_answer(db, monkeypatch):
    import alignment.views

    class DownConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(alignment.views, "connection", DownConnection())

    response = APIClient().get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


# --- the schema and the docs --------------------------------------------------------------------


def test_the_schema_generates_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    assert "/api/leads/" in schema["paths"]
    assert "/api/capture/{form_key}/" in schema["paths"]


def test_the_schema_lists_reason_codes_and_activity_kinds_as_enums(db):
    from feedback.models import ReasonCode

    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    reason = schema["components"]["schemas"]["LeadRejectInputRequest"]["properties"]["reason"]
    ref = reason["allOf"][0]["$ref"] if "allOf" in reason else reason["$ref"]
    enum = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]["enum"]
    assert set(enum) == set(ReasonCode.objects.filter(active=True).values_list("code", flat=True))
    kind = schema["components"]["schemas"]["LeadActivityInputRequest"]["properties"]["kind"]
    kind_ref = kind["allOf"][0]["$ref"] if "allOf" in kind else kind["$ref"]
    assert set(schema["components"]["schemas"][kind_ref.rsplit("/", 1)[-1]]["enum"]) == {
        "call",
        "email",
        "meeting",
        "note",
    }


def test_the_docs_are_served_without_any_cdn(db):
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "drf_spectacular_sidecar" in html
    assert not re.search(r"(src|href)=\"https?://", html)


def test_a_session_form_post_may_carry_the_csrf_field(marketer, campaign):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(marketer)
    client.cookies["csrftoken"] = CSRF_SECRET

    response = client.post(
        "/api/leads/",
        f"campaign={campaign.id}&email=form%40x.test&csrfmiddlewaretoken={CSRF_SECRET}",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 201, response.json()
    assert Lead.objects.filter(email="form@x.test").exists()


# --- cursor pagination --------------------------------------------------------------------------

LISTS = ["/api/leads/", "/api/campaigns/", "/api/notifications/", "/api/feedback/"]


def _cursor(query):
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "é",
        _cursor("p=abc"),
        _cursor("p=2026-13-45"),
        _cursor("p=2026-01-01 00:00:00"),
        _cursor("o=x"),
        _cursor("r=maybe"),
    ],
)
def test_a_cursor_the_server_did_not_hand_out_is_a_400(manager, path, cursor):
    client = APIClient()
    client.force_authenticate(manager)

    response = client.get(path, {"cursor": cursor})

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid_cursor"
    assert "cursor" in response.json()["detail"]


def test_the_next_cursor_walks_every_lead_once(manager):
    from tests.leads.factories import LeadFactory

    leads = LeadFactory.create_batch(5)
    client = APIClient()
    client.force_authenticate(manager)

    seen = []
    url = "/api/leads/?page_size=2"
    while url:
        page = client.get(url)
        assert page.status_code == 200
        seen += [lead["id"] for lead in page.json()["results"]]
        url = page.json()["next"]

    assert seen == sorted((lead.id for lead in leads), reverse=True)


# --- unknown URLs under /api/ -------------------------------------------------------------------


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    "path", ["/api/leads/abc/", "/api/leads/-1/", "/api/nowhere/", "/api/leads/1/fly/", "/api/nowhere", "/api/"]
)
def test_an_unknown_api_url_is_a_json_404_even_with_debug_on(settings, marketer, debug, path):
    settings.DEBUG = debug
    client = APIClient()
    client.force_authenticate(marketer)

    for response in (client.get(path), client.post(path, {}, format="json")):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_an_api_url_without_its_trailing_slash_still_redirects_to_it(settings, marketer):
    settings.DEBUG = True
    client = APIClient()
    client.force_authenticate(marketer)

    response = client.get("/api/leads?status=new")

    assert response.status_code == 301
    assert response["Location"] == "/api/leads/?status=new"


def test_the_feedback_queue_cursor_on_the_creation_time_walks_every_item_once(marketer, rep):
    from feedback.services import feedback_request
    from tests.feedback.factories import accepted_lead

    items = [
        feedback_request(lead=accepted_lead(marketer=marketer, rep=rep), by=marketer, note="How is it going?")
        for _ in range(3)
    ]
    client = APIClient()
    client.force_authenticate(rep)

    seen = []
    url = "/api/feedback/?page_size=2"
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.json()
        seen += [item["id"] for item in page.json()["results"]]
        url = page.json()["next"]

    assert seen == [item.id for item in items]


def test_idempotency_keys_are_forgotten_after_a_day(marketer):
    from datetime import timedelta

    from django.utils import timezone

    from alignment.models import IdempotencyRecord
    from alignment.services import idempotency_records_prune

    # given a key used two days ago and one used an hour ago
    old = IdempotencyRecord.objects.create(
        user=marketer, key="old", method="POST", path="/api/leads/", request_hash="x"
    )
    new = IdempotencyRecord.objects.create(
        user=marketer, key="new", method="POST", path="/api/leads/", request_hash="y"
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    IdempotencyRecord.objects.filter(pk=new.pk).update(created_at=timezone.now() - timedelta(hours=1))

    # when the daily prune runs
    deleted = idempotency_records_prune()

    # then only the old key is gone
    assert deleted == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_the_docs_and_the_admin_show_the_products_favicon(db, client):
    staff = ManagerFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)

    for url in ("/api/docs/", "/admin/"):
        html = client.get(url).content.decode()
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html, url
