"""The throwaway PostgreSQL database a benchmark works in, beside the one in DATABASE_URL."""

import os
import sys
from urllib.parse import urlparse, urlunparse


def bench_database_url(suffix: str) -> str:
    """BENCH_DATABASE_URL, or DATABASE_URL's database with `suffix` added to its name."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL (or BENCH_DATABASE_URL) to a PostgreSQL database: the bench needs PostgreSQL.")
    parts = urlparse(url)
    return urlunparse(parts._replace(path=parts.path.rstrip("/") + suffix))


def create_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def bench_django_setup(suffix: str) -> str:
    """Point Django at the bench's own database (created when missing), as production runs it (no
    query log kept by DEBUG), and set it up. Returns the database URL."""
    url = bench_database_url(suffix)
    create_database(url)
    django_setup(url)
    return url


def django_setup(url: str) -> None:
    """Django on the database at `url`, DEBUG off, as production runs it."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_DEBUG"] = "0"
    # The test client speaks plain HTTP: no redirect to HTTPS, no secure-only cookies.
    os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")
    import django

    django.setup()


def pages_through_the_test_client() -> None:
    """Let Django's test client ask for pages: its host, and static files named without the
    manifest nobody ran collectstatic for."""
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
