"""Login lockout, password rules and session lifetime: the browser login, the admin and the token
endpoint lock alike; managers lift a lockout; a password change ends the other sessions."""

import logging
import os
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from alignment.models import User
from tests.alignment.factories import ManagerFactory, MarketerFactory

LIMIT = 3


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)


def _browser_login(client, username, password, address="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _token(username, password, address="10.0.0.1"):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


@pytest.mark.skipif("ALIGNMENT_LOGIN_FAILURE_LIMIT" in os.environ, reason="the limit is set in the environment")
def test_the_default_limit_is_ten_failures():
    from alignment import settings as project_settings

    assert project_settings.AXES_FAILURE_LIMIT == 10


# --- the browser login ------------------------------------------------------------------------


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, rep, caplog):
    for _ in range(LIMIT - 1):
        assert _browser_login(client, rep.username, "wrong").status_code == 200
    # the failure that reaches the limit is answered with the lockout already
    assert _browser_login(client, rep.username, "wrong").status_code == 429

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="alignment.lockout"):
        locked = _browser_login(client, rep.username, "pw", address="10.0.0.2")

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert locked["Content-Type"].startswith("text/html")
    assert int(locked["Retry-After"]) == 30 * 60
    assert "_auth_user_id" not in client.session
    # the lockout is in the log, with the account
    assert [r.getMessage() for r in caplog.records if r.name == "alignment.lockout"] == [
        f"Login refused, locked out: account {rep.username!r} from 10.0.0.2 at /accounts/login/"
    ]


def test_fewer_failures_than_the_limit_still_let_the_right_password_in(client, rep):
    for _ in range(LIMIT - 1):
        _browser_login(client, rep.username, "wrong")

    response = _browser_login(client, rep.username, "pw")

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=rep.username).exists()


def test_failures_on_many_accounts_lock_the_address(client, rep, marketer):
    for n in range(LIMIT):
        _browser_login(client, f"guess{n}", "wrong", address="10.9.9.9")

    from_there = _browser_login(Client(), marketer.username, "pw", address="10.9.9.9")
    from_elsewhere = _browser_login(Client(), marketer.username, "pw", address="10.1.1.1")

    assert from_there.status_code == 429
    assert from_elsewhere.status_code == 302


# --- the admin and the token endpoint ---------------------------------------------------------


def test_the_admin_login_counts_and_locks_too(db):
    manager = ManagerFactory(is_staff=True)
    client = Client()
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": manager.username, "password": "wrong"}, REMOTE_ADDR="10.0.0.3")

    response = client.post("/admin/login/", {"username": manager.username, "password": "pw"}, REMOTE_ADDR="10.0.0.4")

    assert response.status_code == 429


def test_the_token_endpoint_locks_with_a_json_429_in_the_error_shape(marketer):
    for _ in range(LIMIT - 1):
        assert _token(marketer.username, "wrong").status_code == 400
    assert _token(marketer.username, "wrong").status_code == 429

    response = _token(marketer.username, "pw", address="10.0.0.5")

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "locked_out" and response.json()["detail"]
    assert set(response.json()) == {"detail", "code"}
    assert int(response["Retry-After"]) == 30 * 60


def test_failures_at_the_token_endpoint_lock_the_browser_login_of_that_account(client, marketer):
    for _ in range(LIMIT):
        _token(marketer.username, "wrong")

    assert _browser_login(client, marketer.username, "pw", address="10.0.0.6").status_code == 429


def test_a_token_still_comes_for_the_right_password(marketer):
    response = _token(marketer.username, "pw")

    assert response.status_code == 200 and response.json()["token"]


# --- managers lift a lockout ------------------------------------------------------------------


def test_a_manager_with_staff_status_sees_and_lifts_a_lockout_in_the_admin(client, rep):
    for _ in range(LIMIT):
        _browser_login(Client(), rep.username, "wrong")
    attempt = AccessAttempt.objects.get(username=rep.username)
    manager = ManagerFactory(is_staff=True)  # staff, not a superuser
    client.force_login(manager)

    listed = client.get("/admin/axes/accessattempt/")
    deleted = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert listed.status_code == 200 and rep.username in listed.content.decode()
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert _browser_login(Client(), rep.username, "pw", address="10.0.0.7").status_code == 302


def test_staff_who_are_not_managers_do_not_see_lockouts(db, client):
    marketer = MarketerFactory(is_staff=True)
    client.force_login(marketer)

    assert client.get("/admin/axes/accessattempt/").status_code == 403


# --- passwords and sessions -------------------------------------------------------------------


@pytest.mark.parametrize("password", ["demo", "12345678901", "password123"])
def test_weak_passwords_are_refused_by_the_rules(password):
    with pytest.raises(ValidationError):
        validate_password(password, user=User(username="nora"))


@pytest.mark.django_db
def test_the_demo_team_still_logs_in_with_the_demo_password(settings, monkeypatch, client):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo", "--force", stdout=StringIO())

    response = _browser_login(client, "marketer", "demo")

    assert response.status_code == 302


def test_a_password_change_logs_the_users_other_sessions_out(rep):
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        assert _browser_login(device, rep.username, "pw").status_code == 302
        assert device.get(reverse("dashboard:home")).status_code == 200

    changed = laptop.post(
        reverse("password_change"),
        {"old_password": "pw", "new_password1": "a-long-Passphrase-42", "new_password2": "a-long-Passphrase-42"},
    )

    assert changed.status_code == 302
    # the device that changed it stays logged in; the other one is logged out
    assert laptop.get(reverse("dashboard:home")).status_code == 200
    phone_home = phone.get(reverse("dashboard:home"))
    assert phone_home.status_code == 302 and reverse("login") in phone_home["Location"]


def test_an_idle_session_is_logged_out(settings, client, rep):
    settings.ALIGNMENT_SESSION_IDLE_MINUTES = 30
    _browser_login(client, rep.username, "pw")
    start = timezone.now()

    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        assert client.get(reverse("dashboard:home")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        # 25 minutes after the last request: still in
        assert client.get(reverse("dashboard:home")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=80), tick=False):
        idle = client.get(reverse("dashboard:home"))

    assert idle.status_code == 302 and reverse("login") in idle["Location"]
