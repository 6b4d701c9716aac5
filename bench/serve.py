"""What the HTTP benches share: a throwaway database with a bench team, and gunicorn serving the
app (and the one-table baseline) from it, as production runs it (DEBUG off, 2 sync workers)."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from benchdb import bench_django_setup  # noqa: E402


def bench_setup(suffix: str) -> str:
    """Django on the bench's own database, migrated, with the baseline's table; returns its URL."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("DJANGO_SSL_REDIRECT", "0")
    url = bench_django_setup(suffix)
    from django.core.management import call_command
    from django.db import connection

    from bench.models import BareLead

    call_command("migrate", verbosity=0)
    if BareLead._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(BareLead)
    return url


def bench_team():
    """A marketer with an API token and a campaign to capture into: (token key, campaign id)."""
    from rest_framework.authtoken.models import Token

    from alignment.models import Role, User
    from leads.models import Campaign

    marketer, _ = User.objects.get_or_create(username="bench-marketer", defaults={"role": Role.MARKETER})
    token, _ = Token.objects.get_or_create(user=marketer)
    campaign, _ = Campaign.objects.get_or_create(name="Bench", defaults={"owner": marketer})
    return token.key, campaign.id, marketer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(*, workers: int = 2):
    """gunicorn on a free port, serving bench.settings (the app's settings plus the baseline):
    yields (port, the master's pid)."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),  # the one beside this Python
            "alignment.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def drop_database(url: str) -> None:
    from urllib.parse import urlparse, urlunparse

    import psycopg
    from django.db import connections

    connections.close_all()
    parts = urlparse(url)
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')
    print(f"dropped database {parts.path.lstrip('/')}")
