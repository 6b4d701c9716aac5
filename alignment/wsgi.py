import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")

application = get_wsgi_application()

from django.urls import get_resolver  # noqa: E402  (needs the settings set up)

from alignment.checks import static_manifest_require  # noqa: E402

static_manifest_require()

# Load every view now (the URLconf imports them), then put what is loaded, which lives as long as
# the process, out of the garbage collector's sight: a full collection no longer walks Django, DRF
# and the views, which held up a request for over 100 ms now and then (bench/capture.py --pauses).
url_patterns = get_resolver().url_patterns
gc.collect()
gc.freeze()
