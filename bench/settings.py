"""Bench-only settings: the app's own, plus the one-table baseline (`bench.models.BareLead`) at
/bench/bare/ (bench/urls.py). Never used by the app: bench/capture.py and bench/bulk.py point
gunicorn at them."""

from alignment.settings import *  # noqa: F403
from alignment.settings import INSTALLED_APPS, REST_FRAMEWORK, STORAGES

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
# The bench serves the API only: no pages, so no collected static files.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# A bench client sends more requests a minute than any integration would: the throttles still run
# (their cost is part of every request) but never refuse.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "user": "1000000/minute",
        "bulk": "1000000/minute",
        "import": "1000000/minute",
    },
}
