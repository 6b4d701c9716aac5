"""PostgreSQL restarted under load: while it is down every request gets a clean 503 in the API's
error shape (never a 500, never a dropped connection), nothing is half-written, and the same web
processes serve again once it is back, with no restart of their own."""

import http.client
import json
import threading
import time

import psycopg
import pytest

from tests.faults.servers import Gunicorn, OwnPostgres, app_environment, manage

CLIENTS = 4


@pytest.fixture
def served(tmp_path):
    postgres = OwnPostgres()
    env = app_environment(postgres.url, tmp_path)
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "add_member", "marketer", "--role", "marketer", "--password", "fault-test-Passw0rd")
        out = manage(
            env,
            "shell",
            "-c",
            "from leads.models import Campaign; from alignment.models import User; "
            "from rest_framework.authtoken.models import Token; "
            "m = User.objects.get(username='marketer'); "
            "print(Campaign.objects.create(name='Fair', owner=m).id, Token.objects.create(user=m).key)",
        )
        campaign, token = out.split()[-2:]
        server = Gunicorn(env, tmp_path)
    except BaseException:
        postgres.remove()
        raise
    yield postgres, server, int(campaign), token
    server.stop()
    postgres.remove()


def _load(server, campaign, token, n, stop, results):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    i = 0
    while not stop.is_set():
        email = f"c{n}-{i}@example.com"
        i += 1
        body = json.dumps({"email": email, "campaign": campaign, "name": "Fault Test"})
        try:
            conn.request("POST", "/api/leads/", body, headers)
            answer = conn.getresponse()
            payload = answer.read()
            results.append(
                (
                    time.monotonic(),
                    email,
                    answer.status,
                    answer.getheader("Content-Type"),
                    answer.getheader("Retry-After"),
                    payload,
                )
            )
        except (OSError, http.client.HTTPException) as error:
            results.append((time.monotonic(), email, "connection", repr(error), None, b""))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        time.sleep(0.01)
    conn.close()


def test_postgres_restarted_under_load(served):
    postgres, server, campaign, token = served
    stop, results = threading.Event(), []
    clients = [threading.Thread(target=_load, args=(server, campaign, token, n, stop, results)) for n in range(CLIENTS)]
    for client in clients:
        client.start()
    time.sleep(2)
    postgres.stop("fast")  # every open connection is cut
    down_at = time.monotonic()
    time.sleep(2)
    postgres.start()
    up_at = time.monotonic()
    time.sleep(4)
    stop.set()
    for client in clients:
        client.join(timeout=60)

    statuses = [r[2] for r in results]
    during = [r for r in results if down_at + 0.5 < r[0] < up_at - 0.2]
    after = [r for r in results if r[0] > up_at + 2]
    print(f"{len(results)} requests: {statuses.count(201)} created, {statuses.count(503)} unavailable")
    assert set(statuses) <= {201, 503}, [r for r in results if r[2] not in (201, 503)][:3]
    assert during and {r[2] for r in during} == {503}
    for _, _, status, content_type, retry_after, payload in results:
        if status == 503:
            assert content_type == "application/json"
            assert json.loads(payload)["code"] == "unavailable"
            assert retry_after == "5"
    assert after and {r[2] for r in after} == {201}, "the web processes did not recover by themselves"
    assert server.process.poll() is None

    created = {r[1] for r in results if r[2] == 201}
    attempted = {r[1] for r in results}
    with psycopg.connect(postgres.url) as db:
        leads = {row[0]: row[1] for row in db.execute("SELECT email, id FROM leads_lead")}
        touches = db.execute("SELECT count(*), count(DISTINCT lead_id) FROM leads_touch").fetchone()
        captured_events = db.execute("SELECT count(*) FROM leads_leadevent WHERE kind = 'captured'").fetchone()[0]
        rolled_up = db.execute("SELECT coalesce(sum(captured), 0) FROM leads_leadday").fetchone()[0]
    # Every lead the client was told about is there; nothing it was not told about beyond what it sent.
    assert created <= set(leads) <= attempted
    # None half-written: each lead has its touch, its timeline entry and its place in the roll-up.
    assert touches == (len(leads), len(leads))
    assert captured_events == len(leads)
    assert rolled_up == len(leads)
