"""Bench-only settings: the app's own, plus the one-table baseline (`bench.models.BareLead`) at
/bench/bare/ (bench/urls.py). Never used by the app: bench/capture.py and bench/bulk.py point
gunicorn at them."""

from alignment.settings import *  # noqa: F403
from alignment.settings import INSTALLED_APPS, REST_FRAMEWORK, STORAGES

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
# The bench serves the API only: no pages, so no collected static files.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# One bench user sends every request: the throttles would measure themselves, not the work.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "user": "1000000/minute",
        "bulk": "1000000/minute",
        "import": "1000000/minute",
    },
}
