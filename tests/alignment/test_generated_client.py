"""A client generated from `/api/schema/` with openapi-python-client drives the main flow against a
live server: capture → hand off → accept → verdict → qualify → won, and every answer (timelines
included) parses into the generated models without an error."""

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from tests.unavailable import service_unavailable

VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def generated_client(tmp_path, monkeypatch):
    generator = VENV_BIN / "openapi-python-client"
    if not generator.exists():
        service_unavailable("openapi-python-client is not installed")
    schema = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(schema), "--validate", "--fail-on-warn")
    config = tmp_path / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter needed to use it
    done = subprocess.run(
        [str(generator), "generate", "--path", str(schema), "--meta", "none", "--config", str(config)]
        + ["--output-path", str(tmp_path / "alignment_client")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout, done.stdout  # every schema piece became a model
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("alignment_client")
    for name in [m for m in sys.modules if m == "alignment_client" or m.startswith("alignment_client.")]:
        del sys.modules[name]
    shutil.rmtree(tmp_path / "alignment_client", ignore_errors=True)


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_drives_the_main_flow(generated_client, live_server, marketer, rep, campaign):
    from alignment_client import AuthenticatedClient
    from alignment_client.api.leads import (
        leads_accept_create,
        leads_create,
        leads_handoff_create,
        leads_qualify_create,
        leads_retrieve,
        leads_verdict_create,
        leads_won_create,
    )
    from alignment_client.models import (
        LeadCaptureInputRequest,
        LeadDetailOutput,
        LeadHandOffInputRequest,
        LeadWinInputRequest,
        VerdictEnum,
        VerdictInputRequest,
    )

    def client_of(user):
        token = Token.objects.create(user=user).key
        return AuthenticatedClient(
            base_url=live_server.url, token=token, prefix="Token", raise_on_unexpected_status=True
        )

    as_marketer, as_rep = client_of(marketer), client_of(rep)

    captured = leads_create.sync_detailed(
        client=as_marketer, body=LeadCaptureInputRequest(email="grace@example.com", campaign=campaign.id, name="Grace")
    )
    assert captured.status_code == 201, captured.content
    lead_id = captured.parsed.id

    steps = [
        leads_handoff_create.sync_detailed(
            lead_id, client=as_marketer, body=LeadHandOffInputRequest(note="Asked for a demo.", rep=rep.id)
        ),
        leads_accept_create.sync_detailed(lead_id, client=as_rep),
    ]
    verdict = leads_verdict_create.sync_detailed(
        lead_id, client=as_rep, body=VerdictInputRequest(verdict=VerdictEnum.GOOD, note="Budget and a date.")
    )
    steps += [
        leads_qualify_create.sync_detailed(lead_id, client=as_rep),
        leads_won_create.sync_detailed(lead_id, client=as_rep, body=LeadWinInputRequest(amount="12500.00")),
    ]
    for step in steps:
        assert step.status_code == 200, step.content
        assert isinstance(step.parsed, LeadDetailOutput)
    assert verdict.status_code in (200, 201), verdict.content
    assert verdict.parsed.verdict == VerdictEnum.GOOD

    detail = leads_retrieve.sync_detailed(lead_id, client=as_marketer)
    assert detail.status_code == 200
    lead = detail.parsed
    assert isinstance(lead, LeadDetailOutput)
    assert lead.status.value == "won"
    # The timeline parsed, events without a status change included.
    kinds = [event.kind.value for event in lead.timeline]
    assert {"captured", "transition", "verdict"} <= set(kinds)
    assert [e.to_status.value for e in lead.timeline if e.kind.value == "transition"][-1] == "won"
