"""`oidc_provider`: the test provider (serve.py) running in a subprocess for the test session;
`sso`: Alignment's settings pointed at it, for one test."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

BASE_DIR = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60
CLIENT_ID = "alignment-tests"
CLIENT_SECRET = "provider-secret-for-tests-only"


@dataclass
class Provider:
    url: str
    issuer: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("oidc-provider")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    provider = Provider(url=url, issuer=f"{url}/o")
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update(OIDC_PROVIDER_CLIENT_ID=CLIENT_ID, OIDC_PROVIDER_CLIENT_SECRET=CLIENT_SECRET)
    log_path = data_dir / "provider.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.serve", str(port), str(data_dir)],
            cwd=BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"The test OIDC provider exited: {log_path.read_text()}")
            try:
                if requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"The test OIDC provider did not start in {READY_TIMEOUT} s: {log_path.read_text()}")
            time.sleep(0.2)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def sso(settings, oidc_provider):
    """Single sign-on through the test provider, as a deployment would set it up."""
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Example Corp"
    return oidc_provider
