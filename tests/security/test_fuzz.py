"""The API fuzzed from its own OpenAPI schema, per role: schemathesis against a live gunicorn
(one worker, DEBUG off) on the test PostgreSQL database, with a fixed seed and a bounded number of
examples. Nothing a client sends may be a 500, and every answer must match the schema.

PostgreSQL only (the server is another process, and shares the database with the test): it skips
on SQLite, and fails instead when ALIGNMENT_REQUIRE_SERVICES=1 (CI).
"""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from leads.services import lead_accept, lead_hand_off
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.faults.servers import free_port, manage
from tests.leads.factories import CampaignFactory, LeadFactory
from tests.unavailable import service_unavailable

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SEED = 20261201
MAX_EXAMPLES = 8

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_server_url(tmp_path_factory):
    if connection.vendor != "postgresql":
        service_unavailable("The API fuzz runs a live server on PostgreSQL (set DATABASE_URL).")
    port = free_port()
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "fuzz-" + "x" * 50,
        "DJANGO_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DATABASE_CONN_MAX_AGE": "0",
        # The fuzz is one client sending many requests: throttles would answer most of them.
        "ALIGNMENT_API_RATE": "100000/minute",
        "ALIGNMENT_BULK_RATE": "100000/minute",
        "ALIGNMENT_IMPORT_RATE": "100000/minute",
        "ALIGNMENT_CAPTURE_RATE": "100000/minute",
        "ALIGNMENT_TOKEN_RATE": "100000/minute",
        # With DEBUG off nothing serves without the collected static files and their manifest.
        "DJANGO_STATIC_ROOT": str(tmp_path_factory.mktemp("static")),
    }
    manage(env, "collectstatic", "--noinput")
    server = subprocess.Popen(
        [BIN / "gunicorn", "alignment.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/healthz", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"gunicorn exited: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def people():
    """A marketer, a rep and a manager with tokens, and leads in a few states for them to work."""
    marketer, rep, manager = MarketerFactory(), RepFactory(), ManagerFactory()
    campaign = CampaignFactory(owner=marketer)
    for _ in range(3):
        LeadFactory(campaign=campaign)
        handed = LeadFactory(campaign=campaign)
        lead_hand_off(lead=handed, rep=rep, note="Asked for a demo.", by=marketer)
        accepted = LeadFactory(campaign=campaign)
        lead_hand_off(lead=accepted, rep=rep, note="Asked for pricing.", by=marketer)
        lead_accept(lead=accepted, by=rep)
    return {user.role: Token.objects.create(user=user).key for user in (marketer, rep, manager)}


def test_the_api_answers_every_role_without_a_server_error_and_as_its_schema_says(live_server_url, tmp_path):
    tokens = people()
    failures = {}
    for role, token in tokens.items():
        run = subprocess.run(
            [
                BIN / "st",
                "run",
                f"{live_server_url}/api/schema/",
                "--header",
                f"Authorization: Token {token}",
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "--phases",
                "examples,fuzzing",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                str(SEED),
                "--workers",
                "1",
                "--generation-database",
                "none",
                "--request-timeout",
                "30",
            ],
            cwd=tmp_path,  # where schemathesis keeps its reports
            capture_output=True,
            text=True,
            timeout=600,
        )
        if run.returncode != 0:
            failures[role] = run.stdout[-6000:] + run.stderr[-2000:]
    assert not failures, "\n\n".join(f"--- as {role}:\n{out}" for role, out in failures.items())
