"""The API fuzzed from its own OpenAPI schema, per role: schemathesis against a live gunicorn
(one worker, DEBUG off) on the test PostgreSQL database, with a fixed seed and a bounded number of
examples. Nothing a client sends may be a 500, and every answer must match the schema.

PostgreSQL only (the server is another process, and shares the database with the test): it skips
on SQLite, and fails instead when ALIGNMENT_REQUIRE_SERVICES=1 (CI).
"""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from leads.services import lead_accept, lead_hand_off
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.faults.servers import Gunicorn, app_environment
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
    settings = connection.settings_dict
    database_url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    tmp = tmp_path_factory.mktemp("fuzz-server")
    # The fuzz is one client sending many requests: throttles would answer most of them.
    env = app_environment(
        database_url,
        tmp,
        DATABASE_CONN_MAX_AGE="0",
        ALIGNMENT_IMPORT_RATE="100000/minute",
        ALIGNMENT_CAPTURE_RATE="100000/minute",
        ALIGNMENT_TOKEN_RATE="100000/minute",
    )
    server = Gunicorn(env, tmp, workers=1)
    yield server.url
    server.stop()


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
