"""Real Celery processes for tests: a worker (and, when asked, beat) on the Redis broker.

The processes run the project's own `celery -A alignment` against the pytest-django test database,
so a test that uses them must commit its rows: mark it `@pytest.mark.django_db(transaction=True)`
and `@pytest.mark.worker`.

    @pytest.mark.worker
    @pytest.mark.django_db(transaction=True)
    def test_something(celery_worker):
        ...                               # enqueue; the worker picks it up
        celery_worker.kill()              # SIGKILL mid-task (the pool child dies with it)

    def test_with_beat(celery_services):
        worker = celery_services.start_worker()
        beat = celery_services.start_beat()
        beat.popen                        # the subprocess.Popen

    def test_broker_down(celery_services, own_redis):
        start, stop, url = own_redis      # a redis-server of the test's own, on a free port
        celery_services.env["CELERY_BROKER_URL"] = url

Skipped when the broker is not Redis or does not answer, or the database is SQLite — unless
ALIGNMENT_REQUIRE_SERVICES=1, when that is a failure instead.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.unavailable import service_unavailable

BASE_DIR = Path(__file__).resolve().parent.parent
CELERY = BASE_DIR / ".venv" / "bin" / "celery"
READY_TIMEOUT = 60


def _broker_url() -> str:
    return settings.CELERY_BROKER_URL


def _redis_flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
        client.flushdb()
    finally:
        client.close()


def _database_url(settings_dict) -> str:
    """A DATABASE_URL for the database Django is connected to now (the test database)."""
    from urllib.parse import quote

    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


class CeleryProcess:
    """One running celery process. `popen` is the subprocess; its output goes to `log_path`."""

    def __init__(self, popen: subprocess.Popen, log_path: Path, name: str):
        self.popen = popen
        self.log_path = log_path
        self.name = name

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_for_log(self, text: str, timeout: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if not self.alive():
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}) before {text!r}:\n{self.log()}")
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not log {text!r} within {timeout}s:\n{self.log()}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (the main process and its pool children)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
        if sig == signal.SIGKILL:
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 15) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL whatever is still there."""
        if self.alive():
            self.kill(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        if self.popen.poll() is None:
            self.popen.wait(timeout=10)


class CeleryServices:
    """Starts celery processes pointed at the test database and the Redis broker; stops them all."""

    def __init__(self, env: dict, tmp_path: Path):
        self.env = env
        self.tmp_path = tmp_path
        self.processes: list[CeleryProcess] = []
        self._count = 0

    def _spawn(self, name: str, args: list[str]) -> CeleryProcess:
        self._count += 1
        log_path = self.tmp_path / f"{name}-{self._count}.log"
        with open(log_path, "wb") as log:
            popen = subprocess.Popen(
                [str(CELERY), "-A", "alignment", *args],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = CeleryProcess(popen, log_path, name)
        self.processes.append(process)
        return process

    def start_worker(self, *, concurrency: int = 1, queues: str = "celery", extra_args=()) -> CeleryProcess:
        """A prefork worker; returns once it reports ready."""
        process = self._spawn(
            "worker",
            [
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "-Q",
                queues,
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{os.getpid()}-{len(self.processes) + 1}@%h",
                *extra_args,
            ],
        )
        process.wait_for_log(" ready.")
        return process

    def start_beat(self, *, extra_args=()) -> CeleryProcess:
        """Beat with its schedule file in the test's temporary directory; returns once it starts."""
        process = self._spawn(
            "beat",
            ["beat", "--loglevel=INFO", "-s", str(self.tmp_path / "celerybeat-schedule"), *extra_args],
        )
        process.wait_for_log("beat: Starting...")
        return process

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()


@pytest.fixture
def celery_services(request, django_db_setup, tmp_path):
    """Start real celery processes on demand (see the module docstring); all stop at teardown."""
    from django.db import connection

    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or (len(marker.args) > 0 and marker.args[0])):
        pytest.fail("A test with a real worker needs @pytest.mark.django_db(transaction=True).")
    if connection.vendor != "postgresql":
        service_unavailable("The real Celery worker needs PostgreSQL (set DATABASE_URL); SQLite is one process's file.")
    broker = _broker_url()
    if not broker.startswith("redis://"):
        service_unavailable(f"The real Celery worker needs a Redis broker (CELERY_BROKER_URL is {broker!r}).")
    try:
        _redis_flush(broker)
    except Exception as error:  # any connection problem means: no Redis here
        service_unavailable(f"Redis at {broker} does not answer: {error}")
    if not CELERY.exists():
        pytest.fail(f"{CELERY} is missing: run `make install`.")

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DJANGO_SETTINGS_MODULE": "alignment.settings",
        "PYTHONUNBUFFERED": "1",
        # Short-lived connections: the test database is truncated and finally dropped under it.
        "DATABASE_CONN_MAX_AGE": "0",
    }
    services = CeleryServices(env, tmp_path)
    try:
        yield services
    finally:
        services.stop_all()
        # Shown by pytest only when the test fails: what the processes said.
        for process in services.processes:
            sys.stderr.write(f"\n--- {process.name} log ({process.log_path}) ---\n{process.log()[-20000:]}\n")


@pytest.fixture
def celery_worker(celery_services):
    """One real prefork worker (concurrency 1, queue `celery`) ready to take tasks."""
    return celery_services.start_worker()


def _redis_up(port) -> bool:
    import redis

    with contextlib.suppress(Exception):
        return redis.Redis(port=port, socket_connect_timeout=1).ping()
    return False


def _wait(condition, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"Timed out after {timeout}s waiting for {what}.")
        time.sleep(0.1)


@pytest.fixture
def own_redis():
    """A Redis of this test's own on a free port (the shared one stays up), and the test process's
    Celery app pointed at it. Yields `(start, stop, url)`; the Redis is stopped at teardown."""
    import redis

    from alignment.celery import app as celery_app

    if not shutil.which("redis-server"):
        service_unavailable("redis-server is not installed.")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"

    def start():
        subprocess.run(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--daemonize", "yes"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        _wait(lambda: _redis_up(port), "redis-server to start")

    def stop():
        with contextlib.suppress(Exception):
            redis.Redis(port=port, socket_connect_timeout=1).shutdown(nosave=True)
        _wait(lambda: not _redis_up(port), "redis-server to stop")

    def use_broker(broker_url):
        # kombu keeps its connection and producer pools per broker URL: dropping the app's cached
        # references makes the next publish use the pools of the new URL.
        celery_app.conf.broker_write_url = broker_url
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    use_broker(url)
    try:
        yield start, stop, url
    finally:
        stop()
        use_broker(None)  # back to the broker_url of the settings
