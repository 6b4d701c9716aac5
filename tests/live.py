"""A real ASGI server for tests: `uvicorn alignment.asgi:application` on 127.0.0.1, against the
pytest-django test database and Redis, so the live stream is tested as it runs.

    @pytest.mark.live
    @pytest.mark.django_db(transaction=True)
    def test_something(asgi_server):
        asgi_server.url            # http://127.0.0.1:<port>

Needs PostgreSQL (the server is another process) and Redis (its wake-ups); skipped without them —
unless ALIGNMENT_REQUIRE_SERVICES=1, when that is a failure instead.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.unavailable import service_unavailable
from tests.worker import _database_url

BASE_DIR = Path(__file__).resolve().parent.parent
UVICORN = BASE_DIR / ".venv" / "bin" / "uvicorn"
READY_TIMEOUT = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AsgiServer:
    def __init__(self, popen, url, log_path):
        self.popen, self.url, self.log_path = popen, url, log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


def asgi_server_start(*, tmp_path, env_extra=None) -> AsgiServer:
    from django.db import connection

    port = _free_port()
    log_path = tmp_path / f"uvicorn-{port}.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "alignment.settings",
        "DATABASE_CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
        **(env_extra or {}),
    }
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(
            [str(UVICORN), "alignment.asgi:application", "--host", "127.0.0.1", "--port", str(port)],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = AsgiServer(popen, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            pytest.fail(f"uvicorn exited: {server.log()[-4000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    pytest.fail(f"uvicorn did not start within {READY_TIMEOUT} s: {server.log()[-4000:]}")


def live_services_check(request):
    from django.db import connection

    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction"))
    if not transactional:
        pytest.fail("A test with a real ASGI server needs @pytest.mark.django_db(transaction=True).")
    if connection.vendor != "postgresql":
        service_unavailable("The ASGI server test needs PostgreSQL (set DATABASE_URL): another process reads the data.")
    if not settings.REDIS_URL:
        service_unavailable("The ASGI server test needs Redis (set REDIS_URL).")
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as error:  # any connection problem means: no Redis here
        service_unavailable(f"Redis at {settings.REDIS_URL} does not answer: {error}")
    if not UVICORN.exists():
        pytest.fail(f"{UVICORN} is missing: run `make install`.")


@pytest.fixture
def asgi_server(request, django_db_setup, tmp_path):
    live_services_check(request)
    server = asgi_server_start(tmp_path=tmp_path, env_extra={"ALIGNMENT_LIVE_HEARTBEAT_SECONDS": "1"})
    try:
        yield server
    finally:
        server.stop()
        sys.stderr.write(f"\n--- uvicorn log ---\n{server.log()[-10000:]}\n")
