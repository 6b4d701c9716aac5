"""Real processes for the fault tests: a PostgreSQL server of their own (so stopping it harms no one
else's database) and Alignment served by gunicorn against it, as production runs it."""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.unavailable import service_unavailable

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnPostgres:
    """A throwaway cluster in a temporary directory, on a free port, trusted, without fsync."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            service_unavailable("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        self.bin = Path(bins[-1]).parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="alignment-pg-"))
        # PostgreSQL refuses to run as root: run its programs as the postgres user then.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.dir, "postgres")
        self.data = self.dir / "data"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "alignment")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/alignment"

    def _run(self, program, *args):
        subprocess.run([*self.as_owner, str(self.bin / program), *args], check=True, capture_output=True, timeout=120)

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "-t", "60", "start")

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def remove(self):
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


def app_environment(database_url: str, tmp: Path, **extra) -> dict:
    """Production settings on plain HTTP; a filesystem broker and static files of its own; generous
    throttles. The static files are collected here: with DEBUG off nothing starts without them."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "fault-test-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SSL_REDIRECT": "0",
        "CELERY_BROKER_URL": "filesystem://localhost//",
        "CELERY_BROKER_DIR": str(tmp / "broker"),
        "REDIS_URL": "",
        "ALIGNMENT_API_RATE": "100000/minute",
        "ALIGNMENT_BULK_RATE": "100000/minute",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        **extra,
    }
    manage(env, "collectstatic", "--noinput")
    return env


def manage(env, *args, input_text=None) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        input=input_text,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


class Gunicorn:
    """`gunicorn alignment.wsgi` on a free port, until `stop()`."""

    def __init__(self, env, tmp: Path, workers=2):
        self.port = free_port()
        self.log = open(tmp / "gunicorn.log", "w+")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "alignment.wsgi",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                str(workers),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                raise RuntimeError("gunicorn did not start:\n" + self.log.read()[-3000:])
            time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
