"""Throttles: a forged X-Forwarded-For cannot reset a bucket, every 429 says when to come back,
and signed-in callers, bulk capture and CSV imports each have a per-user budget."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tests.alignment.factories import MarketerFactory

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def rates(monkeypatch):
    """Set a throttle rate for this test only."""

    def set_rate(scope, rate):
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return set_rate


@pytest.fixture
def behind_one_proxy(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def token_client(user):
    return APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")


# --- the client address -----------------------------------------------------------------------


def test_behind_one_proxy_only_the_address_the_proxy_saw_counts(db, campaign, rates, behind_one_proxy):
    # given: one proxy (10.0.0.1) in front; the client forges whatever it likes before the real hop
    rates("capture", "2/minute")
    url = f"/api/capture/{campaign.form_key}/"
    api = APIClient()

    def post(forwarded, n):
        return api.post(
            url, {"email": f"p{n}@x.test"}, format="json", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
        )

    # when: the same client rotates a forged first hop
    answers = [post(f"192.0.2.{n}, 203.0.113.7", n) for n in range(3)]
    another_client = post("203.0.113.8", 9)

    # then: one bucket for 203.0.113.7, another for the other client
    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert another_client.status_code == 201


def test_without_trusted_proxies_the_forwarded_header_is_ignored(db, campaign, rates):
    rates("capture", "1/minute")
    url = f"/api/capture/{campaign.form_key}/"
    api = APIClient()

    first = api.post(url, {"email": "a@x.test"}, format="json", REMOTE_ADDR="203.0.113.7")
    forged = api.post(
        url, {"email": "b@x.test"}, format="json", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="9.9.9.9"
    )

    assert first.status_code == 201
    assert forged.status_code == 429
    assert forged.json()["code"] == "throttled"
    assert int(forged["Retry-After"]) > 0


def test_the_login_lockout_reads_the_address_like_the_throttles(rf, settings, behind_one_proxy):
    from alignment.lockout import client_address

    forged = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.7")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    assert client_address(forged) == "10.0.0.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert client_address(forged) == "203.0.113.7"


# --- per-user budgets -------------------------------------------------------------------------


def test_a_token_caller_has_a_per_user_budget_that_a_new_address_does_not_reset(marketer, rates):
    rates("user", "3/minute")
    client = token_client(marketer)

    answers = [client.get("/api/leads/", REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(4)]
    refused = client.get("/api/leads/", REMOTE_ADDR="198.51.100.200")
    colleague = token_client(MarketerFactory()).get("/api/leads/")

    assert answers == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled" and int(refused["Retry-After"]) > 0
    assert colleague.status_code == 200


def test_bulk_capture_has_its_own_per_user_budget(marketer, campaign, rates):
    rates("bulk", "2/minute")
    client = token_client(marketer)
    body = {"leads": [{"campaign": campaign.pk, "email": "b@x.test"}]}

    answers = [client.post("/api/leads/bulk/", body, format="json").status_code for _ in range(3)]
    still_reads = client.get("/api/leads/")
    colleague = token_client(MarketerFactory()).post("/api/leads/bulk/", body, format="json")

    assert answers == [200, 200, 429]
    assert still_reads.status_code == 200
    assert colleague.status_code == 200


def test_csv_imports_have_their_own_per_user_budget(marketer, campaign, rates, django_capture_on_commit_callbacks):
    rates("import", "1/hour")
    client = token_client(marketer)

    def upload():
        csv = SimpleUploadedFile("leads.csv", b"email\nimp@x.test\n", content_type="text/csv")
        return client.post("/api/leads/import/", {"file": csv, "campaign": campaign.pk}, format="multipart")

    with django_capture_on_commit_callbacks():
        first = upload()
    second = upload()

    assert first.status_code == 202
    assert second.status_code == 429
    assert second.json()["code"] == "throttled"
    assert int(second["Retry-After"]) > 3000  # about an hour


def test_the_rates_come_from_the_environment():
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "ALIGNMENT_API_RATE": "7/minute",
        "ALIGNMENT_BULK_RATE": "5/hour",
        "ALIGNMENT_IMPORT_RATE": "3/day",
        "ALIGNMENT_TOKEN_RATE": "4/minute",
        "ALIGNMENT_NUM_PROXIES": "2",
    }
    script = (
        "from alignment import settings as s; r = s.REST_FRAMEWORK;print(r['DEFAULT_THROTTLE_RATES'], r['NUM_PROXIES'])"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert "'user': '7/minute'" in result.stdout and "'bulk': '5/hour'" in result.stdout
    assert "'import': '3/day'" in result.stdout and "'token': '4/minute'" in result.stdout
    assert result.stdout.strip().endswith(" 2")
