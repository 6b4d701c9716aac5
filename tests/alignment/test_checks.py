"""With DEBUG off and no `collectstatic`, the app refuses to start instead of answering 500 on every page."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def _production(tmp_path) -> dict:
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k3y-" + "x7Qz9pL2mN4vB8cR1tY6wE3uI0oA5sD" * 2,
        DJANGO_ALLOWED_HOSTS="alignment.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="alignment.settings",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
    )
    return environment


def _run(args, environment):
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=300
    )


def test_check_says_to_run_collectstatic_when_the_manifest_is_missing(tmp_path):
    result = _run(["manage.py", "check"], _production(tmp_path))

    assert result.returncode != 0
    assert "alignment.E001" in result.stderr
    assert "static files manifest" in result.stderr
    assert "manage.py collectstatic" in result.stderr


def test_the_web_process_refuses_to_start_without_the_manifest(tmp_path):
    result = _run(["-c", "import alignment.wsgi"], _production(tmp_path))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "manage.py collectstatic" in result.stderr


def test_after_collectstatic_the_check_passes_and_the_web_process_starts(tmp_path):
    environment = _production(tmp_path)

    collected = _run(["manage.py", "collectstatic", "--noinput"], environment)
    checked = _run(["manage.py", "check"], environment)
    started = _run(["-c", "import alignment.wsgi"], environment)

    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").exists()
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout
    assert started.returncode == 0, started.stderr
