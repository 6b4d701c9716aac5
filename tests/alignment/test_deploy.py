"""The production configuration passes Django's deployment checks before the first migration."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
# Variables that would change what the check sees: the test wants the production defaults (the
# browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their own process, never for a deployment).
OVERRIDDEN = (
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SECURE_COOKIES",
    "DJANGO_SSL_REDIRECT",
    "DJANGO_BEHIND_PROXY",
    "DJANGO_HSTS_SECONDS",
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS",
    "DJANGO_HSTS_PRELOAD",
)


def test_check_deploy_passes_on_an_empty_unmigrated_database(tmp_path):
    # given: production variables and a database file with no tables at all, and single sign-on
    # through a provider that does not answer (the check must not ask it anything)
    database = tmp_path / "empty.sqlite3"
    # and the static files' manifest that `collectstatic` writes before a deployment serves
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "staticfiles.json").write_text('{"paths": {}, "version": "1.1", "hash": ""}')
    environment = {key: value for key, value in os.environ.items() if key not in OVERRIDDEN}
    environment.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k3y-" + "x7Qz9pL2mN4vB8cR1tY6wE3uI0oA5sD" * 2,
        DJANGO_ALLOWED_HOSTS="alignment.example.com",
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_SETTINGS_MODULE="alignment.settings",
        OIDC_ISSUER="http://127.0.0.1:9/o",
        OIDC_CLIENT_ID="alignment",
        OIDC_CLIENT_SECRET="s3cret",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
    )

    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then: no error, no warning, and the check did not need (or create) any table
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr and "WARNINGS" not in result.stdout
