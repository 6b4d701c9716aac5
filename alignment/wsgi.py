import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")

application = get_wsgi_application()

from alignment.checks import static_manifest_require  # noqa: E402  (needs the settings set up)

static_manifest_require()
